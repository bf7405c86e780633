"""SkillHandler: the token is checked first, then the route; errors become ErrorResponses."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from localexa.skill import (
    CallableValidator,
    Message,
    SkillHandler,
    SkillRequest,
    TokenCheck,
    TokenValidationError,
    ValueOutOfRange,
    power_state,
    response,
    validate_response,
)
from tests.skill.factories import accept_grant, directive, discover, header, payload

TOKENS = {"good": TokenCheck.valid_for("user-1", scopes=("lights",)), "old": TokenCheck.expired()}


def check(token: str) -> TokenCheck:
    if token == "broken":
        raise TokenValidationError("device cloud down")
    return TOKENS.get(token, TokenCheck.invalid())


def build() -> tuple[SkillHandler, list[SkillRequest]]:
    seen: list[SkillRequest] = []
    skill = SkillHandler(CallableValidator(check))

    @skill.on("Alexa.PowerController", "TurnOn")
    def turn_on(request: SkillRequest) -> Message:
        seen.append(request)
        return response(request.directive, [power_state(True)])

    @skill.on("Alexa.BrightnessController", "SetBrightness")
    async def set_brightness(request: SkillRequest) -> Message:
        raise ValueOutOfRange(0, 100)

    @skill.on("Alexa.PowerController", "TurnOff")
    def turn_off(request: SkillRequest) -> Message:
        raise RuntimeError("secret internals")

    @skill.on("Alexa.Authorization", "AcceptGrant")
    def grant(request: SkillRequest) -> Message:
        raise ValueOutOfRange(0, 1)  # any failure of AcceptGrant must become ACCEPT_GRANT_FAILED

    @skill.on("Alexa.Discovery", "Discover")
    def found(request: SkillRequest) -> Message:
        return {"event": {"header": {}, "payload": {"endpoints": []}}}

    return skill, seen


async def test_valid_token_reaches_the_handler_with_its_user() -> None:
    skill, seen = build()
    event = directive("Alexa.PowerController", "TurnOn", "good")
    answer = await skill.handle(event)
    assert validate_response(event, answer).ok
    assert [(r.user, r.token, r.endpoint_id) for r in seen] == [("user-1", "good", "endpoint-001")]


@pytest.mark.parametrize(
    ("token", "error_type"),
    [
        pytest.param("old", "EXPIRED_AUTHORIZATION_CREDENTIAL", id="expired"),
        pytest.param("unknown", "INVALID_AUTHORIZATION_CREDENTIAL", id="invalid"),
    ],
)
async def test_bad_tokens_answer_credential_errors_before_any_handler(token: str, error_type: str) -> None:
    skill, seen = build()
    event = directive("Alexa.PowerController", "TurnOn", token)
    answer = await skill.handle(event)
    assert payload(answer)["type"] == error_type
    assert header(answer)["correlationToken"] == event["directive"]["header"]["correlationToken"]
    assert answer["event"]["endpoint"] == {"endpointId": "endpoint-001"}
    assert validate_response(event, answer).ok
    assert seen == []


async def test_discover_with_an_expired_token_answers_an_error_without_endpoint() -> None:
    skill, _ = build()
    answer = await skill.handle(discover("old"))
    assert payload(answer)["type"] == "EXPIRED_AUTHORIZATION_CREDENTIAL"
    assert "endpoint" not in answer["event"]
    assert validate_response(discover("old"), answer).ok


async def test_unknown_directive_is_invalid_directive() -> None:
    skill, _ = build()
    event = directive("Alexa.LockController", "Lock", "good")
    answer = await skill.handle(event)
    assert payload(answer)["type"] == "INVALID_DIRECTIVE"
    assert "Alexa.LockController.Lock" in payload(answer)["message"]


async def test_malformed_directive_is_invalid_directive_echoing_what_it_can() -> None:
    skill, _ = build()
    event = directive("Alexa.PowerController", "TurnOn", "good")
    event["directive"]["header"]["payloadVersion"] = "2"
    answer = await skill.handle(event)
    assert payload(answer)["type"] == "INVALID_DIRECTIVE"
    assert header(answer)["correlationToken"] == event["directive"]["header"]["correlationToken"]
    assert answer["event"]["endpoint"]["endpointId"] == "endpoint-001"


async def test_skill_errors_and_crashes() -> None:
    skill, _ = build()
    out_of_range = await skill.handle(directive("Alexa.BrightnessController", "SetBrightness", "good"))
    assert payload(out_of_range)["validRange"] == {"minimumValue": 0, "maximumValue": 100}
    crashed = await skill.handle(directive("Alexa.PowerController", "TurnOff", "good"))
    assert payload(crashed)["type"] == "INTERNAL_ERROR"
    assert "secret internals" not in str(crashed)
    undecided = await skill.handle(directive("Alexa.PowerController", "TurnOn", "broken"))
    assert payload(undecided)["type"] == "INTERNAL_ERROR"


async def test_handler_returning_a_non_dict_is_internal_error() -> None:
    skill = SkillHandler()
    skill.add("Alexa", "ReportState", lambda request: "not a message")  # type: ignore[arg-type,return-value]
    answer = await skill.handle(directive("Alexa", "ReportState"))
    assert payload(answer)["type"] == "INTERNAL_ERROR"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(accept_grant("good"), id="handler-fails"),
        pytest.param(accept_grant("unknown"), id="grantee-invalid"),
        pytest.param({"directive": {**accept_grant()["directive"], "payload": {}}}, id="malformed"),
    ],
)
async def test_accept_grant_failures_are_accept_grant_failed(event: dict[str, Any]) -> None:
    skill, _ = build()
    answer = await skill.handle(event)
    assert (header(answer)["namespace"], header(answer)["name"]) == ("Alexa.Authorization", "ErrorResponse")
    assert payload(answer)["type"] == "ACCEPT_GRANT_FAILED"


def test_lambda_style_call_is_synchronous() -> None:
    skill, seen = build()
    answer = skill(directive("Alexa.PowerController", "TurnOn", "good"), object())
    assert header(answer)["name"] == "Response"
    assert len(seen) == 1
    assert skill.directives[0] == ("Alexa.Authorization", "AcceptGrant")


async def test_lambda_style_call_works_inside_a_running_event_loop() -> None:
    skill, _ = build()
    answer = skill(directive("Alexa.PowerController", "TurnOn", "good"))
    assert header(answer)["name"] == "Response"
    asyncio.get_running_loop()  # still ours


async def test_async_token_checks_are_awaited() -> None:
    async def remote_check(token: str) -> TokenCheck:
        await asyncio.sleep(0)
        return TokenCheck.valid_for("user-9")

    skill = SkillHandler(CallableValidator(remote_check))
    skill.add("Alexa", "ReportState", lambda r: response(r.directive, [power_state(r.user == "user-9")]))
    answer = await skill.handle(directive("Alexa", "ReportState"))
    assert answer["context"]["properties"][0]["value"] == "ON"


async def test_a_validator_returning_garbage_is_internal_error() -> None:
    skill = SkillHandler(CallableValidator(lambda token: "yes"))  # type: ignore[arg-type,return-value]
    skill.add("Alexa", "ReportState", lambda r: response(r.directive))
    answer = await skill.handle(directive("Alexa", "ReportState"))
    assert payload(answer)["type"] == "INTERNAL_ERROR"


async def test_a_token_check_that_raises_is_logged_as_its_own(caplog: pytest.LogCaptureFixture) -> None:
    """Until review 36b a check that raised (its user database down, say) was logged as "handler
    for Alexa.PowerController.TurnOn raised", blaming a directive handler that never ran."""

    def down(token: str) -> TokenCheck:
        raise ConnectionError("user database down")

    ran: list[SkillRequest] = []

    def turn_on(request: SkillRequest) -> Message:
        ran.append(request)
        return response(request.directive)

    skill = SkillHandler(CallableValidator(down))
    skill.add("Alexa.PowerController", "TurnOn", turn_on)
    with caplog.at_level("WARNING", logger="localexa.skill"):
        answer = await skill.handle(directive("Alexa.PowerController", "TurnOn", "good"))
    assert payload(answer)["type"] == "INTERNAL_ERROR"
    assert ran == []
    [record] = [r for r in caplog.records if r.name.startswith("localexa.skill")]
    assert record.getMessage() == "token check for Alexa.PowerController.TurnOn raised"
    assert record.exc_info is not None  # with its traceback
    assert isinstance(record.exc_info[1], ConnectionError)


def test_an_event_that_is_not_an_object_is_invalid_directive() -> None:
    skill, _ = build()
    answer = skill(["not", "a", "directive"])  # type: ignore[arg-type]
    assert payload(answer)["type"] == "INVALID_DIRECTIVE"


async def test_tokens_stay_out_of_reprs() -> None:
    seen: list[str] = []

    def remember(request: SkillRequest) -> Message:
        seen.append(repr(request))
        return response(request.directive)

    skill = SkillHandler(CallableValidator(lambda token: TokenCheck.valid_for("user-1")))
    skill.add("Alexa", "ReportState", remember)
    await skill.handle(directive("Alexa", "ReportState", "tok-SECRET-1"))
    assert "user-1" in seen[0]
    assert "SECRET" not in seen[0]
