"""How IntrospectionValidator reads `exp`: revoked vs expired (with a minute for clock skew),
and an `exp` it cannot read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from localexa.skill import (
    IntrospectionValidator,
    Message,
    SkillHandler,
    SkillRequest,
    TokenStatus,
    TokenValidationError,
    power_state,
    response,
)
from tests.skill.factories import directive

NOW = datetime(2024, 4, 11, 12, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())
PAST, FUTURE = EPOCH - 60, EPOCH + 3600


def answering(body: dict[str, Any]) -> IntrospectionValidator:
    """A validator whose introspection endpoint answers `body`, on a clock that reads NOW."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    return IntrospectionValidator("http://introspect.test/", "c", "s", transport=transport, now=lambda: NOW)


async def status(body: dict[str, Any]) -> TokenStatus:
    return (await answering(body).validate("t")).status


# Revoked vs expired: an inactive token is EXPIRED only once its exp has passed.


@pytest.mark.parametrize(
    ("exp", "expected"),
    [
        pytest.param(FUTURE, TokenStatus.INVALID, id="exp-ahead-is-revoked"),
        # Within a minute ahead: the authorization server's clock may run ahead of the skill's.
        pytest.param(EPOCH + 1, TokenStatus.EXPIRED, id="exp-a-second-ahead-is-skew"),
        pytest.param(EPOCH + 60, TokenStatus.EXPIRED, id="exp-a-minute-ahead-is-skew"),
        pytest.param(EPOCH + 61, TokenStatus.INVALID, id="exp-past-the-skew-is-revoked"),
        pytest.param(EPOCH, TokenStatus.EXPIRED, id="exp-now"),
        pytest.param(PAST, TokenStatus.EXPIRED, id="exp-passed"),
        pytest.param(str(FUTURE), TokenStatus.INVALID, id="string-exp-ahead"),
        pytest.param(str(PAST), TokenStatus.EXPIRED, id="string-exp-passed"),
        pytest.param(None, TokenStatus.INVALID, id="null-exp"),
    ],
)
async def test_an_inactive_token_is_expired_only_past_its_exp(exp: Any, expected: TokenStatus) -> None:
    assert await status({"active": False, "exp": exp}) is expected


async def test_the_handler_asks_to_relink_a_revoked_token_whose_exp_is_ahead() -> None:
    """The user closed their account: INVALID_AUTHORIZATION_CREDENTIAL, not a refresh-and-retry."""
    skill = SkillHandler(answering({"active": False, "exp": FUTURE}))

    @skill.on("Alexa.PowerController", "TurnOn")
    def turn_on(request: SkillRequest) -> Message:
        raise AssertionError("a revoked token reached the route")

    answer = await skill.handle(directive("Alexa.PowerController", "TurnOn", token="t"))
    assert answer["event"]["payload"]["type"] == "INVALID_AUTHORIZATION_CREDENTIAL"


# exp as a number, or as a string of digits.


@pytest.mark.parametrize(
    "exp",
    [PAST, float(PAST), str(PAST), f"{PAST}.5", EPOCH, str(EPOCH)],
    ids=["int", "float", "digits", "digits-with-fraction", "int-now", "digits-now"],
)
async def test_an_active_token_past_its_exp_is_expired_however_exp_is_written(exp: Any) -> None:
    assert await status({"active": True, "sub": "u1", "exp": exp}) is TokenStatus.EXPIRED


@pytest.mark.parametrize(
    "exp",
    [FUTURE, float(FUTURE) + 0.25, str(FUTURE), f"{FUTURE}.25"],
    ids=["int", "float", "digits", "fraction"],
)
async def test_an_active_token_before_its_exp_is_valid_and_tells_when_it_expires(exp: Any) -> None:
    check = await answering({"active": True, "sub": "u1", "exp": exp}).validate("t")
    assert (check.status, check.subject) == (TokenStatus.VALID, "u1")
    assert check.expires_at is not None
    assert int(check.expires_at.timestamp()) == FUTURE


# An exp that is no number: the answer is nonsense, never a token taken as unexpired.

UNREADABLE = [
    pytest.param(True, id="true"),  # bool is an int: must not read as 1970-01-01T00:00:01
    pytest.param(False, id="false"),
    pytest.param("soon", id="word"),
    pytest.param("", id="empty"),
    pytest.param(f" {PAST}", id="padded"),
    pytest.param(f"-{PAST}", id="signed"),
    pytest.param("1e9", id="exponent"),
    pytest.param("NaN", id="nan-string"),
    pytest.param("１７００００００００", id="fullwidth-digits"),
    pytest.param([PAST], id="list"),
    pytest.param({"seconds": PAST}, id="object"),
]


@pytest.mark.parametrize("exp", UNREADABLE)
@pytest.mark.parametrize("active", [True, False])
async def test_an_exp_that_is_no_number_cannot_decide(exp: Any, active: bool) -> None:
    with pytest.raises(TokenValidationError, match="exp that is not a number"):
        await answering({"active": active, "sub": "u1", "exp": exp}).validate("t")


@pytest.mark.parametrize(
    "exp", ["9" * 5000, "9" * 30, "9" * 400 + ".5"], ids=["too-many-digits", "huge", "inf"]
)
async def test_digits_past_any_time_cannot_decide(exp: str) -> None:
    with pytest.raises(TokenValidationError, match="exp that is no time"):
        await answering({"active": True, "sub": "u1", "exp": exp}).validate("t")


async def test_the_handler_answers_an_unreadable_exp_with_internal_error() -> None:
    """Neither VALID (the route would run for a possibly expired token) nor a traceback."""
    skill = SkillHandler(answering({"active": True, "sub": "u1", "exp": str(PAST) + "Z"}))

    reached: list[str | None] = []

    @skill.on("Alexa.PowerController", "TurnOn")
    def turn_on(request: SkillRequest) -> Message:
        # Recorded, not raised: the handler would turn an exception into INTERNAL_ERROR too.
        reached.append(request.endpoint_id)
        return response(request.directive, [power_state(True)])

    answer = await skill.handle(directive("Alexa.PowerController", "TurnOn", token="t"))
    assert answer["event"]["payload"]["type"] == "INTERNAL_ERROR"
    assert reached == []
