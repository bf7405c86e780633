"""A skill that posts odd events to `POST /v3/events`: the gateway's own error, never a 500.

Unknown endpoints, wrong tokens, repeated messageIds, bodies over the limit, JSON that is no JSON
or nests for ever: each is either accepted (202) with what it
says kept whole, or refused with the gateway's code, and nothing half-written stays behind.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from localexa.skill import change_report
from localexa.skill.properties import power_state
from localexa.skill.reports import add_or_update_report
from tests.events.test_gateway import (
    Sender,
    assert_gateway_error,
    known_endpoints,
    light,
    post,
    recorded_messages,
    sender,
)
from tests.factories import Admin
from tests.property import SCALE, json_scalars, json_values


@pytest.fixture
def backend() -> str:
    """The gateway judges odd events before storing them, the same on both databases; conftest's
    `backend` would run each case on PostgreSQL too: SQLite only, for CI's time (the races
    for one endpoint run on both in tests/events/test_gateway_races.py)."""
    return "sqlite"


INVALID_REQUEST = "INVALID_REQUEST_EXCEPTION"


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def _report_with_value(who: Sender, value: Any) -> dict[str, Any]:
    report = change_report("light-1", [power_state(True)], cause="PHYSICAL_INTERACTION", token=who.token)
    report["event"]["payload"]["change"]["properties"][0]["value"] = value
    return report


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 200_000, id="unclosed-200k-deep"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="200k-deep"),
        pytest.param(b'{"event": {"header": NaN}}', id="nan"),
        pytest.param(b'{"event": "\\ud800"}', id="lone-surrogate"),
        pytest.param(b"\xff\xfe{", id="not-utf8"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_a_body_that_is_no_json_is_invalid_request(
    admin: Admin, client: httpx.AsyncClient, body: bytes
) -> None:
    who = await sender(admin, client)

    answered = await post(client, body, who.headers())

    assert_gateway_error(answered, 400, INVALID_REQUEST)
    assert await recorded_messages(admin, who) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("cookie", _nested(300), id="cookie-nested-300"),
        pytest.param("cookie", _nested(900), id="cookie-nested-900"),
        pytest.param("cookie", {"key": "\ud800"}, id="cookie-lone-surrogate"),
        pytest.param("description", "a light \udfff", id="description-lone-surrogate"),
    ],
)
async def test_a_valid_event_holding_an_unusable_value_is_invalid_request(
    admin: Admin, client: httpx.AsyncClient, field: str, value: Any
) -> None:
    who = await sender(admin, client)
    report = add_or_update_report([light()], token=who.token)
    report["event"]["payload"]["endpoints"][0][field] = value

    answered = await post(client, json.dumps(report).encode(), who.headers())

    assert_gateway_error(answered, 400, INVALID_REQUEST)
    assert await recorded_messages(admin, who) == []
    assert await known_endpoints(admin, who) == {}


async def test_over_the_size_limit_is_413_and_wrong_tokens_are_401(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    who = await sender(admin, client)
    huge = add_or_update_report([light()], token=who.token)
    huge["event"]["payload"]["endpoints"][0]["description"] = "x" * 300_000
    other = await sender(admin, client)

    assert_gateway_error(await post(client, huge, who.headers()), 413, "REQUEST_ENTITY_TOO_LARGE_EXCEPTION")
    assert_gateway_error(
        await post(client, add_or_update_report([light()], token=who.token), who.headers("Atza|nonsense")),
        401,
        "INVALID_ACCESS_TOKEN_EXCEPTION",
    )
    # The scope token inside the event is another customer's.
    assert_gateway_error(
        await post(client, add_or_update_report([light()], token=other.token), who.headers()),
        401,
        "INVALID_ACCESS_TOKEN_EXCEPTION",
    )
    assert await recorded_messages(admin, who) == []
    assert await known_endpoints(admin, who) == {}


async def test_an_unknown_endpoint_and_a_repeated_message_id_are_accepted_and_recorded(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    who = await sender(admin, client)
    report = change_report(
        "never-discovered", [power_state(True)], cause="PHYSICAL_INTERACTION", token=who.token
    )

    first = await post(client, report, who.headers())
    again = await post(client, report, who.headers())

    assert (first.status_code, again.status_code) == (202, 202)
    assert await known_endpoints(admin, who) == {}
    assert [m["name"] for m in await recorded_messages(admin, who)] == ["ChangeReport", "ChangeReport"]


JSON_SCALARS = json_scalars()
ANY_JSON = json_values(JSON_SCALARS)
PLACES = st.sampled_from(
    [
        ("event",),
        ("event", "header"),
        ("event", "header", "name"),
        ("event", "header", "namespace"),
        ("event", "endpoint"),
        ("event", "endpoint", "endpointId"),
        ("event", "payload"),
        ("event", "payload", "change"),
        ("event", "payload", "change", "properties"),
        ("event", "payload", "endpoints"),
        ("context",),
        ("context", "properties"),
    ]
)


def _put(event: dict[str, Any], place: tuple[str, ...], value: Any) -> dict[str, Any]:
    target: Any = event
    for key in place[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[place[-1]] = value
    return event


@hypothesis_settings(
    max_examples=40 * SCALE,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(place=PLACES, value=ANY_JSON, report=st.sampled_from(["change", "add"]))
async def test_any_value_anywhere_is_accepted_or_refused_in_the_gateways_shape(
    admin: Admin, client: httpx.AsyncClient, place: tuple[str, ...], value: Any, report: str
) -> None:
    who = await sender(admin, client)
    if report == "add":
        event = add_or_update_report([light()], token=who.token)
    else:
        event = change_report("light-1", [power_state(True)], cause="PHYSICAL_INTERACTION", token=who.token)

    answered = await post(client, _put(event, place, value), who.headers())

    assert answered.status_code in (202, 400, 401, 403), answered.text
    stored = await recorded_messages(admin, who)
    if answered.status_code == 202:
        assert len(stored) == 1
    else:
        assert answered.json()["header"]["name"] == "Exception"
        assert stored == []
