"""Discover answered with an Alexa.ErrorResponse names its type and message (QA, 2026-12-06).

After a restart of `localexa serve`, My Lights (in memory) had forgotten the demo developer's link
and answered the evaluation's Discover with INVALID_AUTHORIZATION_CREDENTIAL; the run's error said
only "Discover failed: it answered Alexa.ErrorResponse", which named neither the cause nor the
way out (link the account again)."""

from __future__ import annotations

from typing import Any

import pytest

from localexa.server.evaluation.channel import Exchange
from localexa.server.evaluation.prerequisites import RunError, discover
from localexa.server.evaluation.schemas import ErrorCode


class Answers:
    """A channel whose skill answers every directive with `response`."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        return Exchange(directive={}, response=self.response, verdict={"valid": True})


def error_response(kind: str, message: str) -> dict[str, Any]:
    header = {"namespace": "Alexa", "name": "ErrorResponse", "messageId": "m", "payloadVersion": "3"}
    return {"event": {"header": header, "payload": {"type": kind, "message": message}}}


async def test_an_invalid_credential_at_discover_says_to_link_again() -> None:
    with pytest.raises(RunError) as failed:
        await discover(Answers(error_response("INVALID_AUTHORIZATION_CREDENTIAL", "unknown token")), "lamp")
    assert failed.value.code is ErrorCode.DISCOVERY_FAILED
    message = failed.value.message
    assert "Alexa.ErrorResponse INVALID_AUTHORIZATION_CREDENTIAL: unknown token" in message
    assert "link the account to the skill again" in message


async def test_another_error_response_at_discover_names_its_type_and_message() -> None:
    with pytest.raises(RunError) as failed:
        await discover(Answers(error_response("INTERNAL_ERROR", "the cloud is down")), "lamp")
    assert "Alexa.ErrorResponse INTERNAL_ERROR: the cloud is down" in failed.value.message
    assert "again" not in failed.value.message


async def test_a_message_that_ends_its_sentence_gets_no_second_full_stop() -> None:
    # My Lights says "The access token is not valid for any account in the device cloud."; the
    # run's error read "… device cloud.. The skill no longer accepts …" (QA, 2026-12-07).
    said = "The access token is not valid for any account in the device cloud."
    with pytest.raises(RunError) as failed:
        await discover(Answers(error_response("INVALID_AUTHORIZATION_CREDENTIAL", said)), "lamp")
    assert f"INVALID_AUTHORIZATION_CREDENTIAL: {said} The skill no longer accepts" in failed.value.message
    assert ".." not in failed.value.message
