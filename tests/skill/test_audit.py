"""Findings of an audit of the skill kit as a demanding skill developer would use it: the refresh
race, LWA answers out of range, what `timeOfSample` / `uncertaintyInMilliseconds` may be, tokens
kept out of reprs, and malformed input raising the kit's own DirectiveError."""

from __future__ import annotations

import asyncio
import copy
from datetime import timedelta
from typing import Any

import httpx
import pytest

from localexa.skill import (
    DirectiveError,
    EventGatewayError,
    GrantExchangeError,
    bearer_token,
    change_report,
    exchange_grant_code,
    parse_directive,
    power_state,
    response,
    state_report,
    validate_event,
    validate_response,
)
from localexa.skill.clock import utc_now
from localexa.skill.gateway import TokenRefreshFailed
from localexa.skill.handler import SkillRequest
from tests.skill.factories import accept_grant, directive, discover
from tests.skill.live import FakeAmazon
from tests.skill.test_grants import _gateway

REPORT_STATE = directive("Alexa", "ReportState")


# --- the refresh race -------------------------------------------------------------------------


async def test_concurrent_sends_with_an_expired_token_refresh_once(amazon: FakeAmazon) -> None:
    client, saved = await _gateway(amazon, expires_at=utc_now() - timedelta(seconds=1))
    receipts = await asyncio.gather(
        *(client.send(change_report("lamp", [power_state(True)])) for _ in range(3))
    )
    assert [r.status for r in receipts] == [202, 202, 202]
    grants = [c.form()["grant_type"] for c in amazon.calls("/auth/o2/token")]
    assert grants == ["authorization_code", "refresh_token"]
    assert saved == [client.tokens]
    sent = {c.headers["authorization"] for c in amazon.calls("/v3/events")}
    assert sent == {f"Bearer {client.tokens.access_token}"}


async def test_concurrent_401s_refresh_once(amazon: FakeAmazon) -> None:
    client, saved = await _gateway(amazon)
    amazon.live_access.clear()  # Amazon forgot the token early: every send gets a 401 first
    receipts = await asyncio.gather(
        *(client.send(change_report("lamp", [power_state(True)])) for _ in range(3))
    )
    assert [r.status for r in receipts] == [202, 202, 202]
    assert len(amazon.calls("/auth/o2/token")) == 2  # the code, then one refresh
    assert len(saved) == 1


@pytest.mark.parametrize("early", [True, False], ids=["expired-before-send", "401-from-the-gateway"])
async def test_a_refused_refresh_during_send_is_an_event_gateway_error(
    amazon: FakeAmazon, early: bool
) -> None:
    client, saved = await _gateway(amazon, expires_at=utc_now() - timedelta(seconds=1) if early else None)
    amazon.refresh_tokens.clear()  # the skill was disabled: LWA revoked the refresh token
    amazon.live_access.clear()
    with pytest.raises(EventGatewayError) as refused:
        await client.send(change_report("lamp", [power_state(True)]))
    assert isinstance(refused.value, TokenRefreshFailed)
    assert isinstance(refused.value, GrantExchangeError)  # what `except GrantExchangeError` caught before
    assert (refused.value.code, refused.value.error, refused.value.status) == (
        "TOKEN_REFRESH_FAILED",
        "invalid_grant",
        400,
    )
    assert saved == []


# --- LWA answers the kit cannot keep ----------------------------------------------------------


@pytest.mark.parametrize("expires_in", ["1e400", "NaN", "true", "-5", "0", '"3600"'])
async def test_an_lwa_lifetime_out_of_range_is_a_grant_exchange_error(expires_in: str) -> None:
    body = f'{{"access_token": "Atza|x", "token_type": "bearer", "expires_in": {expires_in}}}'
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    with pytest.raises(GrantExchangeError) as refused:
        await exchange_grant_code("code", "id", "secret", "https://lwa.test", transport=transport)
    assert refused.value.error == "server_error"


async def test_an_empty_access_token_is_a_grant_exchange_error() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"access_token": "", "expires_in": 60})
    )
    with pytest.raises(GrantExchangeError):
        await exchange_grant_code("code", "id", "secret", "https://lwa.test", transport=transport)


# --- timeOfSample and uncertaintyInMilliseconds ----------------------------------------------


def _with_sample(key: str, value: Any) -> dict[str, Any]:
    answer = state_report(REPORT_STATE, [power_state(True)])
    answer["context"]["properties"][0][key] = value
    return answer


@pytest.mark.parametrize(
    "time_of_sample",
    [1486138850, "2017-02-03 16:20:50Z", "2017-02-03T16:20:50+05:00", "2017-02-03T16:20Z", "2017-02-03"],
)
def test_time_of_sample_must_be_an_iso_8601_string_in_utc(time_of_sample: Any) -> None:
    verdict = validate_response(REPORT_STATE, _with_sample("timeOfSample", time_of_sample))
    assert [p.path for p in verdict.problems] == ["context.properties.0.timeOfSample"]


@pytest.mark.parametrize(
    "time_of_sample", ["2017-02-03T16:20:50Z", "2017-02-03T16:20:50.52Z", "2017-02-03T16:20:50+00:00"]
)
def test_time_of_sample_in_utc_passes(time_of_sample: str) -> None:
    assert validate_response(REPORT_STATE, _with_sample("timeOfSample", time_of_sample)).ok


@pytest.mark.parametrize("uncertainty", ["500", True, 500.0])
def test_uncertainty_must_be_a_json_integer(uncertainty: Any) -> None:
    verdict = validate_response(REPORT_STATE, _with_sample("uncertaintyInMilliseconds", uncertainty))
    assert [p.path for p in verdict.problems] == ["context.properties.0.uncertaintyInMilliseconds"]


def test_a_change_report_with_a_unix_time_sample_is_refused() -> None:
    event = change_report("lamp", [power_state(True)], token="t")
    event["event"]["payload"]["change"]["properties"][0]["timeOfSample"] = 1486138850
    verdict = validate_event(event)
    assert [p.path for p in verdict.problems] == ["event.payload.change.properties.0.timeOfSample"]


# --- tokens out of reprs -----------------------------------------------------------------------


@pytest.mark.parametrize("event", [discover("SECRET-TOKEN"), accept_grant("SECRET-TOKEN", "SECRET-CODE")])
def test_the_repr_of_a_request_shows_no_token_and_no_grant_code(event: dict[str, Any]) -> None:
    parsed = parse_directive(event)
    shown = repr(SkillRequest(parsed, event, "SECRET-TOKEN", None)) + repr(parsed)
    assert "SECRET" not in shown
    assert parsed.payload  # still there for the handler


# --- malformed input raises DirectiveError ----------------------------------------------------


def test_bearer_token_takes_the_event_as_received() -> None:
    assert bearer_token(directive("Alexa.PowerController", "TurnOn", "tok-1")) == "tok-1"
    assert bearer_token(discover("tok-2")["directive"]) == "tok-2"
    broken = copy.deepcopy(discover())
    del broken["directive"]["header"]
    with pytest.raises(DirectiveError):
        bearer_token(broken)


@pytest.mark.parametrize("not_a_directive", [["directive"], "directive", 42])
def test_builders_refuse_a_directive_that_is_no_object(not_a_directive: Any) -> None:
    with pytest.raises(DirectiveError):
        response(not_a_directive)


@pytest.mark.parametrize("not_a_directive", [None, 42, ["directive"]])
def test_validate_response_reports_a_directive_that_is_no_object(not_a_directive: Any) -> None:
    verdict = validate_response(not_a_directive, response(REPORT_STATE))
    assert [p.path for p in verdict.problems] == ["directive"]


def test_an_event_gateway_error_without_an_answer_names_no_status() -> None:
    """`str()` began "None UNREACHABLE: …" when the gateway gave no answer (QA of 2026-12-06)."""
    assert str(EventGatewayError(None, "UNREACHABLE", "ConnectError")) == "UNREACHABLE: ConnectError"
    assert str(EventGatewayError(None, "INVALID_EVENT")) == "INVALID_EVENT"
    assert str(EventGatewayError(403, "SKILL_DISABLED_EXCEPTION", "disabled")) == (
        "403 SKILL_DISABLED_EXCEPTION: disabled"
    )
