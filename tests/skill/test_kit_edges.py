"""Edges of the skill kit and the My Lights sample found by an audit: a SkillError whose extra
fields break the schema, a refresh token presented as a bearer token, and My Lights' clock."""

from __future__ import annotations

import httpx
import pytest

from localexa.samples.mylights import DeviceCloud
from localexa.samples.mylights.authz import OAuthError
from localexa.skill import IntrospectionValidator, Message, SkillHandler, SkillRequest, TokenStatus
from localexa.skill.errors import EndpointLowPower
from tests.skill.factories import directive

BASIC = ("alexa-skill", "mylights-secret")


async def test_a_skill_error_with_invalid_extras_answers_internal_error_not_a_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`handle` never raises: a percentage of 150 made the ErrorResponse itself fail validation."""
    skill = SkillHandler()

    @skill.on("Alexa.PowerController", "TurnOn")
    def turn_on(request: SkillRequest) -> Message:
        raise EndpointLowPower(150)

    answer = await skill.handle(directive("Alexa.PowerController", "TurnOn"))
    assert answer["event"]["header"]["name"] == "ErrorResponse"
    assert answer["event"]["payload"]["type"] == "INTERNAL_ERROR"
    assert "EndpointLowPower that is not valid" in caplog.text


async def test_a_refresh_token_is_no_bearer_token(mylights: str, cloud: DeviceCloud) -> None:
    """My Lights' introspection says `active` for a live refresh token (token_type refresh_token)."""
    pair = cloud.oauth.mint("demo")
    validator = IntrospectionValidator(f"{mylights}/introspect", *BASIC)
    assert (await validator.validate(pair.refresh_token)).status is TokenStatus.INVALID
    assert (await validator.validate(pair.access_token)).status is TokenStatus.VALID


@pytest.mark.parametrize("seconds", ["NaN", "Infinity", "1e300", "300000000000", "-1", "true", '"60"'])
def test_my_lights_clock_refuses_what_it_cannot_keep(mylights: str, cloud: DeviceCloud, seconds: str) -> None:
    """NaN or 1e300 was a 500; a year past 9999 broke the clock and every sign-in until a restart."""
    body = '{"advanceSeconds": ' + seconds + "}"
    with httpx.Client(auth=BASIC) as http:
        refused = http.post(
            f"{mylights}/admin/clock", content=body, headers={"Content-Type": "application/json"}
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "invalid_request"
        assert http.post(f"{mylights}/admin/clock", json={"advanceSeconds": 0}).status_code == 200


def test_my_lights_clock_stops_short_of_the_year_9999(mylights: str, cloud: DeviceCloud) -> None:
    with httpx.Client(auth=BASIC) as http:
        answers = [
            http.post(f"{mylights}/admin/clock", json={"advanceSeconds": 315_360_000}) for _ in range(800)
        ]
        assert {a.status_code for a in answers} == {200, 400}
        assert http.post(f"{mylights}/admin/clock", json={"advanceSeconds": 0}).status_code == 200
    cloud.oauth.mint("demo")  # the clock still works: nothing was kept past the year 9999


def test_my_lights_revoking_a_refresh_token_ends_the_access_tokens_refreshed_from_it(
    mylights: str, cloud: DeviceCloud
) -> None:
    pair = cloud.oauth.mint("demo")
    refreshed = cloud.oauth.refresh(pair.refresh_token, "alexa-skill", None)
    assert cloud.oauth.check(refreshed.access_token).status is TokenStatus.VALID
    assert cloud.oauth.revoke(token=pair.refresh_token) == 1
    for access in (pair.access_token, refreshed.access_token):
        assert cloud.oauth.check(access).status is TokenStatus.INVALID
        assert cloud.oauth.introspect(access) == {"active": False}


def test_my_lights_a_replayed_code_ends_the_tokens_refreshed_from_its_grant(cloud: DeviceCloud) -> None:
    code = cloud.oauth.issue_code("demo", "alexa-skill", None, "lights")
    pair = cloud.oauth.redeem_code(code, "alexa-skill", None, None)
    refreshed = cloud.oauth.refresh(pair.refresh_token, "alexa-skill", None)
    with pytest.raises(OAuthError):
        cloud.oauth.redeem_code(code, "alexa-skill", None, None)
    assert cloud.oauth.check(refreshed.access_token).status is TokenStatus.INVALID
