"""The Alexa event gateway (`POST /v3/events`, spec §4): proactive state reports, change reports,
asynchronous responses. The region's host takes the event; the token is the customer's event
token from the AcceptGrant exchange (`token=`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from localexa.client._async import AsyncResource, async_method
from localexa.client._core import ApiRequest, Flow, call, dump, expect_no_content
from localexa.client._endpoints import Region
from localexa.client._sync import SyncResource, sync_method

__all__ = ["AsyncEvents", "Events"]


def send(
    event: Mapping[str, Any] | BaseModel, *, token: str | None = None, region: Region | str = Region.NA
) -> Flow[None]:
    """Send one event message (`{"event": {...}, "context": {...}}`); the gateway answers 202.

    Not retried by default: the gateway might have taken it. A 2xx with a body is not the
    gateway's answer (a captive portal's page): APIResponseValidationError, not "accepted".
    """
    body = dump(event) if isinstance(event, BaseModel) else dict(event)
    response = yield from call(
        ApiRequest("POST", "/v3/events", region=Region(region), json=body, token=token)
    )
    expect_no_content(response, 202)


class Events(SyncResource):
    """`client.events`: the event gateway."""

    send = sync_method(send)


class AsyncEvents(AsyncResource):
    send = async_method(send)
