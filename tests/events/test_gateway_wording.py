"""The gateway's 400 for a part of the event that should be an object says so in the API's words:
it said "Input should be a valid dictionary or instance of Event" (or Header, EventEndpoint,
Context, ...), the skill kit's own class names, as SMAPI's 400s did before they were aligned
(tests/conformance/test_validation_wording.py; QA of 2026-12-07)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from localexa.skill import change_report
from localexa.skill.properties import power_state
from tests.events.test_gateway import assert_gateway_error, post, recorded_messages, sender
from tests.factories import Admin

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = event
        for part in parents:
            target = target[part]
        target[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_set("event", None), "event: Input should be a JSON object"),
        (_set("event", []), "event: Input should be a JSON object"),
        (_set("event.header", "x"), "event.header: Input should be a JSON object"),
        (_set("event.endpoint", []), "event.endpoint: Input should be a JSON object"),
        (_set("event.endpoint.scope", 5), "event.endpoint.scope: Input should be a JSON object"),
        (_set("context", []), "context: Input should be a JSON object"),
        (_set("context", {"properties": [1]}), "context.properties.0: Input should be a JSON object"),
    ],
    ids=["event-null", "event-list", "header", "endpoint", "scope", "context", "context-property"],
)
async def test_a_part_that_should_be_an_object_is_named_without_a_class(
    admin: Admin, client: httpx.AsyncClient, edit: Edit, expected: str
) -> None:
    who = await sender(admin, client)
    event = change_report("light-1", [power_state(True)], token=who.token)
    edit(event)

    answer = await post(client, event, who.headers())

    assert_gateway_error(answer, 400, "INVALID_REQUEST_EXCEPTION")
    description = answer.json()["payload"]["description"]
    assert expected in description, description
    assert "instance of" not in description, description
    assert await recorded_messages(admin, who) == []  # nothing of it kept
