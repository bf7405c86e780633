"""What Alexa learns from a skill's synchronous answer: nothing from one its verdict calls invalid.

A skill answers from a scripted server (tests/misbehaving_servers.py): a valid discovery first,
then the answer under test. A Discover.Response marked FAILED (an endpoint without the `Alexa`
interface) once replaced the whole known list with the endpoints that passed on their own; a
SetBrightness answered with brightness 150 (verdict invalid) was kept as the light's state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.directives.conftest import endpoints_after_link, send
from tests.directives.test_misbehaving_skills import TOKEN_ANSWER, LinkedSkill, _AsLinked, link_to
from tests.factories import Admin
from tests.misbehaving_servers import Switch, answer, misbehaving_server

HEADER = {"payloadVersion": "3", "messageId": "0a58ace0-e6ab-47de-b6af-b600b5ab8a7a"}
ALEXA = {"type": "AlexaInterface", "interface": "Alexa", "version": "3"}
BRIGHTNESS = {
    "type": "AlexaInterface",
    "interface": "Alexa.BrightnessController",
    "version": "3",
    "properties": {"supported": [{"name": "brightness"}], "retrievable": True},
}
TOKEN = "corr-token-1"


def _endpoint(endpoint_id: str, *capabilities: dict[str, Any]) -> dict[str, Any]:
    return {
        "endpointId": endpoint_id,
        "manufacturerName": "Sample Manufacturer",
        "description": "A light",
        "friendlyName": f"Light {endpoint_id}",
        "displayCategories": ["LIGHT"],
        "cookie": {},
        "capabilities": list(capabilities),
    }


def _discovered(*endpoints: dict[str, Any]) -> dict[str, Any]:
    header = {"namespace": "Alexa.Discovery", "name": "Discover.Response", **HEADER}
    return {"event": {"header": header, "payload": {"endpoints": list(endpoints)}}}


def _brightness_answer(value: Any, at: str) -> dict[str, Any]:
    header = {"namespace": "Alexa", "name": "Response", "correlationToken": TOKEN, **HEADER}
    prop = {
        "namespace": "Alexa.BrightnessController",
        "name": "brightness",
        "value": value,
        "timeOfSample": at,
        "uncertaintyInMilliseconds": 500,
    }
    return {
        "event": {"header": header, "endpoint": {"endpointId": "light-1"}, "payload": {}},
        "context": {"properties": [prop]},
    }


GOOD = _discovered(_endpoint("light-1", ALEXA, BRIGHTNESS), _endpoint("light-2", ALEXA, BRIGHTNESS))


@pytest.fixture
async def discovered(admin: Admin, client: httpx.AsyncClient) -> AsyncIterator[LinkedSkill]:
    switch = Switch(answer(200, GOOD))
    async with misbehaving_server({"/skill": switch, "/token": answer(200, TOKEN_ANSWER)}) as server:
        linked = await link_to(admin, client, server, switch)
        view = await endpoints_after_link(admin, _AsLinked(linked))
        assert view["discovery"]["status"] == "SUCCEEDED", view
        assert [e["endpointId"] for e in view["endpoints"]] == ["light-1", "light-2"]
        yield linked


async def _endpoints(admin: Admin, linked: LinkedSkill) -> dict[str, Any]:
    return await endpoints_after_link(admin, _AsLinked(linked))


async def test_a_failed_discovery_keeps_the_known_endpoints(admin: Admin, discovered: LinkedSkill) -> None:
    # light-3 lacks the `Alexa` interface: the answer is invalid, discovery FAILED.
    discovered.switch.script = answer(200, _discovered(_endpoint("light-3", BRIGHTNESS)))
    path = _AsLinked(discovered).path("discover")
    result = await admin.client.post(path, headers=admin.headers)
    assert result.status_code == 200, result.text
    assert result.json()["verdict"]["valid"] is False

    view = await _endpoints(admin, discovered)
    assert view["discovery"]["status"] == "FAILED", view
    assert [e["endpointId"] for e in view["endpoints"]] == ["light-1", "light-2"]


async def test_a_valid_discovery_still_replaces_the_list(admin: Admin, discovered: LinkedSkill) -> None:
    discovered.switch.script = answer(200, _discovered(_endpoint("light-2", ALEXA, BRIGHTNESS)))
    result = await admin.client.post(_AsLinked(discovered).path("discover"), headers=admin.headers)
    assert result.json()["verdict"]["valid"] is True, result.text
    view = await _endpoints(admin, discovered)
    assert [e["endpointId"] for e in view["endpoints"]] == ["light-2"]


async def _set_brightness(admin: Admin, linked: LinkedSkill, answered: dict[str, Any]) -> dict[str, Any]:
    verdict: dict[str, Any] = (await _sent(admin, linked, answered))["verdict"]
    return verdict


async def _sent(admin: Admin, linked: LinkedSkill, answered: dict[str, Any]) -> dict[str, Any]:
    """The admin API's result of a SetBrightness the skill answers with `answered`."""
    linked.switch.script = answer(200, answered)
    body = {
        "userId": linked.user_id,
        "skillId": linked.skill_id,
        "endpointId": "light-1",
        "namespace": "Alexa.BrightnessController",
        "name": "SetBrightness",
        "payload": {"brightness": 40},
        "correlationToken": TOKEN,
    }
    result = await send(admin, body)
    assert result.status_code == 200, result.text
    sent: dict[str, Any] = result.json()
    return sent


def _brightness_of(view: dict[str, Any]) -> Any:
    light = next(e for e in view["endpoints"] if e["endpointId"] == "light-1")
    return light["state"].get("Alexa.BrightnessController.brightness", {}).get("value")


async def test_an_invalid_answer_does_not_change_the_known_state(
    admin: Admin, discovered: LinkedSkill
) -> None:
    verdict = await _set_brightness(admin, discovered, _brightness_answer(40, "2026-01-01T10:00:00Z"))
    assert verdict["valid"] is True, verdict
    assert _brightness_of(await _endpoints(admin, discovered)) == 40

    verdict = await _set_brightness(admin, discovered, _brightness_answer(150, "2026-01-01T10:00:05Z"))
    assert verdict["valid"] is False, verdict
    assert _brightness_of(await _endpoints(admin, discovered)) == 40


def _credential_error(
    correlation_token: str, error_type: str = "INVALID_AUTHORIZATION_CREDENTIAL"
) -> dict[str, Any]:
    header = {"namespace": "Alexa", "name": "ErrorResponse", "correlationToken": correlation_token, **HEADER}
    payload = {"type": error_type, "message": "The token is not valid."}
    return {"event": {"header": header, "endpoint": {"endpointId": "light-1"}, "payload": payload}}


async def test_an_invalid_answer_saying_the_credential_is_invalid_leaves_the_link(
    admin: Admin, discovered: LinkedSkill
) -> None:
    """An INVALID_AUTHORIZATION_CREDENTIAL ErrorResponse whose verdict is invalid (here it echoes
    another correlationToken) teaches nothing, the link's state neither: it marked the link
    NEEDS_RELINK, and every directive after it was refused (QA of 2026-12-07)."""
    verdict = await _set_brightness(admin, discovered, _credential_error("another-token"))
    assert verdict["valid"] is False, verdict
    assert verdict["errorType"] == "INVALID_AUTHORIZATION_CREDENTIAL"
    # Still linked: the next directive is sent and its answer judged.
    verdict = await _set_brightness(admin, discovered, _brightness_answer(40, "2026-01-01T10:00:00Z"))
    assert verdict["valid"] is True, verdict


async def test_a_valid_answer_saying_the_credential_is_invalid_marks_the_link(
    admin: Admin, discovered: LinkedSkill
) -> None:
    verdict = await _set_brightness(admin, discovered, _credential_error(TOKEN))
    assert verdict["valid"] is True, verdict
    discovered.switch.script = answer(200, _brightness_answer(40, "2026-01-01T10:00:00Z"))
    refused = await send(admin, {**discovered.directive(), "correlationToken": TOKEN})
    assert refused.status_code == 400, refused.text
    assert "link" in refused.json()["message"]


@pytest.mark.parametrize(("correlation_token", "attempts"), [("another-token", 1), (TOKEN, 2)])
async def test_an_expired_credential_answer_is_acted_on_only_when_valid(
    admin: Admin, discovered: LinkedSkill, correlation_token: str, attempts: int
) -> None:
    """EXPIRED_AUTHORIZATION_CREDENTIAL makes localexa refresh the token and send once more, but not
    in an answer whose verdict is invalid (here it echoes another correlationToken): as with
    INVALID_AUTHORIZATION_CREDENTIAL, nothing is learned from it. It refreshed and resent."""
    sent = await _sent(
        admin, discovered, _credential_error(correlation_token, "EXPIRED_AUTHORIZATION_CREDENTIAL")
    )
    assert sent["attempts"] == attempts, sent
    assert sent["verdict"]["errorType"] == "EXPIRED_AUTHORIZATION_CREDENTIAL"
    if attempts == 1:
        assert sent["notes"] == [
            "The skill answered EXPIRED_AUTHORIZATION_CREDENTIAL in an invalid answer; "
            "the token was not refreshed."
        ], sent
