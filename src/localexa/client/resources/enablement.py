"""Developer skill enablement (SMAPI `/v1/skills/{skillId}/stages/{stage}/enablement`, spec §1.1).

Enabling a stage disables the other one. GET answers 204 when enabled and 404 when not, which
`is_enabled` turns into a bool (as ask-cli reads it). A 2xx with a body is no answer of
Amazon's (a proxy's page): APIResponseValidationError.
"""

from __future__ import annotations

from localexa.client._async import AsyncResource, async_method
from localexa.client._core import ApiRequest, Flow, call, expect_no_content, segment
from localexa.client._errors import NotFoundError
from localexa.client._sync import SyncResource, sync_method
from localexa.client.types.enablement import Stage

__all__ = ["AsyncEnablement", "Enablement"]


def _path(skill_id: str, stage: str) -> str:
    return f"/v1/skills/{segment(skill_id)}/stages/{segment(stage)}/enablement"


def enable(skill_id: str, stage: Stage = "development") -> Flow[None]:
    """`PUT .../enablement` (204): enable the stage for the token's developer."""
    expect_no_content((yield from call(ApiRequest("PUT", _path(skill_id, stage)))))


def get(skill_id: str, stage: Stage = "development") -> Flow[None]:
    """`GET .../enablement`: returns when enabled; raises NotFoundError when not."""
    expect_no_content((yield from call(ApiRequest("GET", _path(skill_id, stage)))))


def is_enabled(skill_id: str, stage: Stage = "development") -> Flow[bool]:
    """True when the stage is enabled, False on 404."""
    try:
        response = yield from call(ApiRequest("GET", _path(skill_id, stage)))
    except NotFoundError:
        return False
    expect_no_content(response)
    return True


def disable(skill_id: str, stage: Stage = "development") -> Flow[None]:
    """`DELETE .../enablement` (204); NotFoundError when the stage is not enabled, unless an earlier
    attempt of this call may have disabled it (its answer lost, a 500/502/504): then it is done."""
    response = yield from call(ApiRequest("DELETE", _path(skill_id, stage), gone_is_done=True))
    expect_no_content(response)


class Enablement(SyncResource):
    """`client.enablement`: enable, check and disable a skill stage for its developer."""

    enable = sync_method(enable)
    get = sync_method(get)
    is_enabled = sync_method(is_enabled)
    disable = sync_method(disable)


class AsyncEnablement(AsyncResource):
    enable = async_method(enable)
    get = async_method(get)
    is_enabled = async_method(is_enabled)
    disable = async_method(disable)
