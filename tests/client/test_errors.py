"""Every API family's error body becomes one typed exception carrying code, message, body and
X-Amzn-RequestId (spec alexa-api-surface.md §1.3, §1.2, §3, §4, §7)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from localexa.client import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
)
from localexa.client._errors import parse_retry_after, status_error_from_response
from tests.client.conftest import BASE, Either, FakeAmazon, reply

SKILL = "amzn1.ask.skill.1"


def _error(status: int, body: Any, headers: dict[str, str] | None = None) -> APIStatusError:
    request = httpx.Request("GET", f"{BASE}/v1/x")
    content = body if isinstance(body, str) else None
    response = (
        httpx.Response(status, text=content, headers=headers, request=request)
        if content is not None
        else httpx.Response(status, json=body, headers=headers, request=request)
    )
    return status_error_from_response(response)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        pytest.param(400, BadRequestError, id="400"),
        pytest.param(401, AuthenticationError, id="401"),
        pytest.param(403, PermissionDeniedError, id="403"),
        pytest.param(404, NotFoundError, id="404"),
        pytest.param(409, ConflictError, id="409"),
        pytest.param(429, RateLimitError, id="429"),
        pytest.param(500, InternalServerError, id="500"),
        pytest.param(502, InternalServerError, id="502-other-5xx"),
        pytest.param(503, ServiceUnavailableError, id="503"),
        pytest.param(413, APIStatusError, id="413-base"),
    ],
)
def test_one_exception_per_status(status: int, cls: type[APIStatusError]) -> None:
    error = _error(status, {"message": "nope"}, {"X-Amzn-RequestId": "rid-1"})
    assert type(error) is cls
    assert error.status_code == status
    assert error.request_id == "rid-1"
    assert error.message == "nope"
    assert "rid-1" in str(error)


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        pytest.param(
            {"code": "INVALID_STRING_LENGTH", "message": "The property is outside the allowed range."},
            "INVALID_STRING_LENGTH",
            "The property is outside the allowed range.",
            id="smapi-standardized",
        ),
        pytest.param(
            {
                "message": "Bad input.",
                "violations": [{"code": "MISSING_STAGE", "message": "stage: required"}],
            },
            "MISSING_STAGE",
            "Bad input.",
            id="smapi-bad-request",
        ),
        pytest.param(
            {"message": "Invalid account linking credentials"},
            None,
            "Invalid account linking credentials",
            id="customer",
        ),
        pytest.param(
            {"error": "invalid_grant", "error_description": "The refresh token is invalid."},
            "invalid_grant",
            "The refresh token is invalid.",
            id="lwa",
        ),
        pytest.param(
            {
                "header": {"namespace": "System", "name": "Exception", "messageId": "m-1"},
                "payload": {"code": "SKILL_DISABLED_EXCEPTION", "description": "The skill is disabled."},
            },
            "SKILL_DISABLED_EXCEPTION",
            "The skill is disabled.",
            id="event-gateway",
        ),
        pytest.param(
            {"code": "NETWORK_ALREADY_EXISTS", "message": "Thread network already exists."},
            "NETWORK_ALREADY_EXISTS",
            "Thread network already exists.",
            id="credential-locker",
        ),
        pytest.param("<html>Bad Gateway</html>", None, "<html>Bad Gateway</html>", id="not-json"),
    ],
)
def test_every_family_error_shape_is_parsed(body: Any, code: str | None, message: str) -> None:
    error = _error(400, body)
    assert error.code == code
    assert error.message == message
    assert error.body == body


def test_smapi_violations_are_kept() -> None:
    error = _error(400, {"message": "m", "violations": [{"code": "A", "message": "a"}, {"message": "b"}]})
    assert [(v.code, v.message) for v in error.violations] == [("A", "a"), (None, "b")]


def test_empty_error_body_uses_the_reason_phrase() -> None:
    error = _error(503, "")
    assert error.message == "Service Unavailable"
    assert error.body is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        pytest.param("3", 3.0, id="delay-seconds"),
        pytest.param("0.5", 0.5, id="fraction"),
        pytest.param("Wed, 21 Oct 2015 07:28:10 GMT", 10.0, id="http-date"),
        pytest.param("soon", None, id="garbage"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_retry_after_is_parsed(header: str | None, seconds: float | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(header, now=now) == seconds


async def test_errors_reach_the_caller_with_request_id(either: Either, amazon: FakeAmazon) -> None:
    amazon.on(
        "GET",
        f"{BASE}/v1/skills/{SKILL}/credentials",
        reply(404, {"code": "NOT_FOUND", "message": "No such skill."}, {"X-Amzn-RequestId": "rid-9"}),
    )
    with pytest.raises(NotFoundError) as caught:
        await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev")
    assert (caught.value.code, caught.value.request_id) == ("NOT_FOUND", "rid-9")
    assert caught.value.request is not None
    assert caught.value.request.url.path == f"/v1/skills/{SKILL}/credentials"


async def test_a_success_body_that_does_not_fit_is_a_validation_error(
    either: Either, amazon: FakeAmazon
) -> None:
    amazon.on("GET", f"{BASE}/v1/skills/{SKILL}/credentials", reply(200, {"unexpected": True}))
    with pytest.raises(APIResponseValidationError) as caught:
        await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev")
    assert caught.value.status_code == 200
    assert str(caught.value).startswith(f"GET /v1/skills/{SKILL}/credentials answered a body that is not a ")


async def test_a_success_body_that_is_not_json_says_so(either: Either, amazon: FakeAmazon) -> None:
    """It said pydantic's error list (`… not a SkillCredentials: [{'type': 'json_invalid', …}]`)
    where calls that read JSON without a model said "not JSON" (QA of 2026-12-06)."""
    portal = {"Content-Type": "text/html"}
    page = httpx.Response(200, text="<html>Sign in to the Wi-Fi</html>", headers=portal)
    amazon.on("GET", f"{BASE}/v1/skills/{SKILL}/credentials", page)
    with pytest.raises(APIResponseValidationError) as caught:
        await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev")
    assert str(caught.value) == f"GET /v1/skills/{SKILL}/credentials answered a body that is not JSON."


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


def _time_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


def _drop(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


async def test_no_response_is_a_connection_error(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("POST", f"{BASE}/v3/events", _drop)
    with pytest.raises(APIConnectionError) as caught:
        await either.run(lambda c: c.events.send({"event": {}}, token="Atza|t"))
    assert not isinstance(caught.value, APITimeoutError)
    assert caught.value.sent is True
    assert len(amazon.calls("/v3/events")) == 1  # a POST that may have arrived is not repeated


async def test_a_refused_connection_is_one_nothing_was_sent_on(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on("POST", f"{BASE}/v3/events", _refuse)
    with pytest.raises(APIConnectionError) as caught:
        await either.run(lambda c: c.events.send({"event": {}}, token="Atza|t"))
    assert caught.value.sent is False
    assert len(amazon.calls("/v3/events")) == 3  # nothing left, so even a POST is sent again


async def test_a_timeout_is_a_timeout_error(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("POST", f"{BASE}/v3/events", _time_out)
    with pytest.raises(APITimeoutError):
        await either.run(lambda c: c.events.send({"event": {}}, token="Atza|t"))
