"""The skill kit as QA used it on 2026-12-05 (a real skill on the kit's public API): numbers the
gateway refuses (NaN, Infinity, `"50"`, `true`) built and validated; a parsed Directive refused by
`validate_response`'s annotation; naive datetimes read as local time by the builders and as UTC
by the validators; a failed AcceptGrant exchange logged nothing; sends waiting on one refused
refresh each asked LWA again."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import UTC, datetime, timedelta

import pytest

from localexa.skill import (
    AcceptGrantHandler,
    CallableValidator,
    EventGatewayError,
    SkillHandler,
    TokenCheck,
    change_report,
    error_response,
    parse_directive,
    power_state,
    response,
    target_setpoint,
    temperature,
    validate_event,
    validate_response,
)
from localexa.skill.clock import timestamp, utc_now
from localexa.skill.gateway import TokenRefreshFailed
from tests.skill.factories import accept_grant, directive, payload
from tests.skill.live import FakeAmazon
from tests.skill.test_grants import _gateway

LOW_POWER = directive("Alexa.PowerController", "TurnOn")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_property_builders_refuse_numbers_json_has_not(value: float) -> None:
    for build in (temperature, target_setpoint):
        with pytest.raises(ValueError, match="number"):
            build(value)


def test_the_validators_refuse_a_non_finite_property_value() -> None:
    report = change_report("lamp", [power_state(True)])
    report["context"] = {
        "properties": [
            {
                "namespace": "Alexa.TemperatureSensor",
                "name": "temperature",
                "value": {"value": math.nan, "scale": "CELSIUS"},
                "timeOfSample": timestamp(),
                "uncertaintyInMilliseconds": 0,
            }
        ]
    }
    assert not validate_event(report).valid


@pytest.mark.parametrize("percentage", ["50", True, 50.0, 101])
def test_error_extra_fields_are_the_schemas_types(percentage: object) -> None:
    with pytest.raises(ValueError, match="percentageState"):
        error_response(LOW_POWER, "ENDPOINT_LOW_POWER", "low", percentageState=percentage)
    assert error_response(LOW_POWER, "ENDPOINT_LOW_POWER", "low", percentageState=50)


@pytest.mark.parametrize(
    "valid_range",
    [
        {"minimumValue": "0", "maximumValue": 100},
        {"minimumValue": 0, "maximumValue": math.inf},
        {"minimumValue": True, "maximumValue": 100},
        {"minimumValue": 100, "maximumValue": 0},
    ],
)
def test_a_valid_range_is_two_ordered_numbers(valid_range: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="validRange"):
        error_response(LOW_POWER, "VALUE_OUT_OF_RANGE", "no", validRange=valid_range)


def test_validate_response_takes_a_parsed_directive() -> None:
    parsed = parse_directive(LOW_POWER)
    answer = response(parsed, [power_state(True)])
    assert validate_response(parsed, answer).valid
    assert validate_response(LOW_POWER, answer).valid


def test_valid_for_takes_its_details_by_name() -> None:
    check = TokenCheck.valid_for("u", scopes=("a",), client_id="c")
    assert (check.subject, check.scopes, check.client_id) == ("u", ("a",), "c")
    with pytest.raises(TypeError):
        TokenCheck.valid_for("u", clientid="c")  # type: ignore[call-arg]


def test_a_naive_datetime_is_utc_in_builders_as_in_validators() -> None:
    naive = datetime(2026, 12, 5, 12, 0, 0)
    assert timestamp(naive) == "2026-12-05T12:00:00.000Z"
    assert timestamp(naive.replace(tzinfo=UTC)) == timestamp(naive)
    now_naive = utc_now().replace(tzinfo=None)
    assert validate_event(change_report("lamp", [power_state(True, time_of_sample=now_naive)])).valid


async def test_an_event_that_is_not_json_is_an_event_gateway_error(amazon: FakeAmazon) -> None:
    client, _ = await _gateway(amazon)
    event = change_report("lamp", [power_state(True)])
    event["event"]["payload"]["nan"] = math.nan
    with pytest.raises(EventGatewayError) as refused:
        await client.send(event)
    assert refused.value.code == "INVALID_EVENT"
    assert amazon.calls("/v3/events") == []


async def test_a_failed_accept_grant_exchange_is_logged_without_secrets(
    amazon: FakeAmazon, caplog: pytest.LogCaptureFixture
) -> None:
    skill = SkillHandler(CallableValidator(lambda token: TokenCheck.valid_for("user-7")))
    handler = AcceptGrantHandler(
        amazon.client_id, "wrong-secret", lambda user, tokens: None, lwa_base_url=amazon.base_url
    )
    skill.add("Alexa.Authorization", "AcceptGrant", handler)
    caplog.set_level(logging.WARNING, logger="localexa.skill")
    answer = await skill.handle(accept_grant(code="good-code"))
    assert payload(answer)["type"] == "ACCEPT_GRANT_FAILED"
    assert "invalid_client" in caplog.text
    assert "good-code" not in caplog.text
    assert "wrong-secret" not in caplog.text


async def test_the_lwa_url_is_logged_without_its_password_and_quoted(
    amazon: FakeAmazon, caplog: pytest.LogCaptureFixture
) -> None:
    """A `user:password@` in lwa_base_url stood in the log in clear, and a line break in it
    started a log line of its own (re-verification of the night of 2026-12-06)."""
    skill = SkillHandler(CallableValidator(lambda token: TokenCheck.valid_for("user-7")))
    base = amazon.base_url.replace("://", "://me:s3cret@")
    handler = AcceptGrantHandler(
        amazon.client_id, "wrong-secret", lambda user, tokens: None, lwa_base_url=base
    )
    assert "s3cret" not in repr(handler)
    skill.add("Alexa.Authorization", "AcceptGrant", handler)
    caplog.set_level(logging.WARNING, logger="localexa.skill")
    answer = await skill.handle(accept_grant(code="good-code"))
    assert payload(answer)["type"] == "ACCEPT_GRANT_FAILED"
    assert "s3cret" not in caplog.text
    assert "me:***@" in caplog.text
    caplog.clear()
    broken = AcceptGrantHandler(
        amazon.client_id, "wrong-secret", lambda user, tokens: None, lwa_base_url="http://[::1\nFORGED"
    )
    skill.add("Alexa.Authorization", "AcceptGrant", broken)
    answer = await skill.handle(accept_grant(code="good-code"))
    assert payload(answer)["type"] == "ACCEPT_GRANT_FAILED"
    assert "\nFORGED" not in caplog.text
    assert "'http://[::1\\nFORGED'" in caplog.text


async def test_sends_waiting_on_a_refused_refresh_share_its_failure(amazon: FakeAmazon) -> None:
    client, _ = await _gateway(amazon, expires_at=utc_now() - timedelta(seconds=1))
    amazon.refresh_tokens.clear()  # disabled: the refresh token is revoked
    before = len(amazon.calls("/auth/o2/token"))
    results = await asyncio.gather(
        *(client.send(change_report("lamp", [power_state(True)])) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(result, TokenRefreshFailed) for result in results), results
    assert len(amazon.calls("/auth/o2/token")) - before == 1
    # A later send tries again (the failure may have passed).
    with pytest.raises(TokenRefreshFailed):
        await client.send(change_report("lamp", [power_state(True)]))
    assert len(amazon.calls("/auth/o2/token")) - before == 2


def test_a_temperature_range_is_ordered_whatever_its_scales() -> None:
    def celsius(value: float, scale: str = "CELSIUS") -> dict[str, object]:
        return {"value": value, "scale": scale}

    with pytest.raises(ValueError, match="validRange"):
        error_response(
            LOW_POWER,
            "TEMPERATURE_VALUE_OUT_OF_RANGE",
            "no",
            validRange={"minimumValue": celsius(30), "maximumValue": celsius(10)},
        )
    # 10 °C is 50 °F: ordered once both are in one scale.
    assert error_response(
        LOW_POWER,
        "TEMPERATURE_VALUE_OUT_OF_RANGE",
        "no",
        validRange={"minimumValue": celsius(10), "maximumValue": celsius(60, "FAHRENHEIT")},
    )


def test_any_propertys_value_is_finite() -> None:
    from localexa.skill.properties import property_value

    for value in (math.nan, {"a": [1.0, math.inf]}):
        with pytest.raises(ValueError, match="finite"):
            property_value("Alexa.RangeController", "rangeValue", value, instance="x")


def test_a_reversed_range_is_one_problem_at_a_wire_path() -> None:
    answer = error_response(LOW_POWER, "ENDPOINT_UNREACHABLE", "no")
    answer["event"]["payload"] = {
        "type": "VALUE_OUT_OF_RANGE",
        "message": "no",
        "validRange": {"minimumValue": 100, "maximumValue": 0},
    }
    verdict = validate_response(LOW_POWER, answer)
    assert not verdict.valid
    payload_problems = [p for p in verdict.problems if p.path.startswith("event.payload")]
    assert len(payload_problems) == 1, payload_problems
    assert payload_problems[0].path == "event.payload.validRange"
    assert "minimumValue must not be above maximumValue" in payload_problems[0].message
    # A problem inside the range is reported at the same place (it was at `event.payload`).
    answer["event"]["payload"]["validRange"] = {"minimumValue": "0", "maximumValue": 1}
    [inside] = [
        p for p in validate_response(LOW_POWER, answer).problems if p.path.startswith("event.payload")
    ]
    assert inside.path == "event.payload.validRange"
    assert "minimumValue" in inside.message
