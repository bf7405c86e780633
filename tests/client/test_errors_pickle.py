"""The client's and the skill kit's errors cross a process boundary (localexa/error_pickling.py).

pickle rebuilt an exception by calling its class with its message: `APIStatusError(message,
response=...)`, `CaFileError(ca_file, reason)` and `EventGatewayError(status, code, ...)` failed
with "missing 1 required positional argument", so a worker of a process pool that met one
raised that TypeError in the parent instead of the error.
"""

from __future__ import annotations

import concurrent.futures
import pickle

import httpx
import pytest

from localexa.client import CaFileError, ConfigurationError, NotFoundError, RateLimitError
from localexa.client._errors import APIConnectionError, EventLoopError
from localexa.skill import (
    EventGatewayError,
    GrantExchangeError,
    TokenRefreshFailed,
    TokenValidationError,
    ValueOutOfRange,
)

REQUEST = httpx.Request("GET", "http://127.0.0.1:8080/v1/skills/x/stages/development/enablement")


def _answer(status: int, body: dict[str, object]) -> httpx.Response:
    return httpx.Response(status, json=body, request=REQUEST)


def _errors() -> list[BaseException]:
    return [
        ConfigurationError("base_url must be an http(s) URL"),
        CaFileError("/tmp/ca.pem", "no such file"),
        EventLoopError(first_loop_closed=True),
        APIConnectionError("could not connect", request=REQUEST),
        NotFoundError(
            "No skill x.", response=_answer(404, {"message": "No skill x."}), body={"message": "No skill x."}
        ),
        RateLimitError(
            "Slow down.", response=_answer(429, {"message": "Slow down."}), body=None, code="TOO_MANY"
        ),
        EventGatewayError(503, "UNREACHABLE", "could not connect"),
        GrantExchangeError("invalid_grant", "The code was used.", 400),
        TokenRefreshFailed(GrantExchangeError("invalid_grant", "revoked", 400)),
        TokenValidationError("the device cloud did not answer"),
        ValueOutOfRange(0, 100, "Brightness must be 0-100."),
    ]


@pytest.mark.parametrize("error", _errors(), ids=lambda e: type(e).__name__)
def test_an_error_pickles_to_the_same_class_message_and_attributes(error: BaseException) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.args == error.args
    restored: dict[str, object] = vars(again)
    for name, value in vars(error).items():
        if isinstance(value, httpx.Response):
            answer = restored[name]
            assert isinstance(answer, httpx.Response)
            assert (answer.status_code, answer.json()) == (value.status_code, value.json())
        elif isinstance(value, httpx.Request):
            request = restored[name]
            assert isinstance(request, httpx.Request)
            assert str(request.url) == str(value.url)
        else:
            assert restored[name] == value, name


def _raise_status_error() -> None:
    body: dict[str, object] = {"message": "No skill x.", "code": "NOT_FOUND"}
    raise NotFoundError("No skill x.", response=_answer(404, body), body=body, code="NOT_FOUND")


def test_a_process_pool_worker_hands_the_error_itself_to_its_parent() -> None:
    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_raise_status_error)
        with pytest.raises(NotFoundError) as raised:
            future.result(timeout=60)
    assert raised.value.status_code == 404
    assert raised.value.code == "NOT_FOUND"
