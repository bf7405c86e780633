"""README walk-through, "My Lights, the sample device cloud": what the README's commands meet."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

BASIC = ("alexa-skill", "mylights-secret")


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.mark.parametrize(
    "body",
    [{}, {"grant_type": ""}, {"code": "x", "redirect_uri": "https://app.example.com/alexa"}],
    ids=["empty form", "empty grant_type", "no grant_type"],
)
def test_a_token_request_without_grant_type_is_invalid_request(
    http: httpx.Client, mylights: str, body: dict[str, str]
) -> None:
    # It was unsupported_grant_type "grant_type None is not supported." (Python's None).
    answer = http.post(f"{mylights}/token", data=body, auth=BASIC)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "error_description": "grant_type is required."}
