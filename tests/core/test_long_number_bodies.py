"""Valid JSON holding an integer of more digits than Python converts (4300) is refused with that
reason, not as "not valid JSON" (console and CLI QA of 2026-12-06: a 5,000-digit `delayMs`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from localexa.server.core.json_body import NOT_FINITE_MESSAGE
from tests.conftest import ADMIN_KEY
from tests.core.test_too_deep_bodies import event_headers
from tests.factories import Admin

LONG = "1" * (sys.get_int_max_str_digits() + 1)
ADMIN = {"X-Localexa-Admin-Key": ADMIN_KEY, "Content-Type": "application/json"}
REASON = f"holds a number of more than {sys.get_int_max_str_digits()} digits"


@pytest.mark.parametrize(
    ("path", "body", "headers", "message_of"),
    [
        pytest.param(
            "/_localexa/faults",
            f'{{"path": "/v1/alexaApiEndpoint", "status": 503, "delayMs": {LONG}}}',
            ADMIN,
            lambda b: b["message"],
            id="admin",
        ),
        pytest.param(
            "/_localexa/restore", f'{{"version": {LONG}}}', ADMIN, lambda b: b["message"], id="restore"
        ),
        pytest.param(
            "/auth/o2/token",
            f'{{"grant_type": "refresh_token", "refresh_token": {LONG}}}',
            {"Content-Type": "application/json"},
            lambda b: b["error_description"],
            id="lwa-token",
        ),
    ],
)
async def test_a_body_with_a_number_too_long_to_read_says_so(
    client: httpx.AsyncClient,
    path: str,
    body: str,
    headers: dict[str, str],
    message_of: Callable[[Any], str],
) -> None:
    answer = await client.post(path, content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert REASON in message_of(answer.json()), answer.text
    # As long as Python reads it, the number is a number (refused by the field's own rule).
    readable = body.replace(LONG, LONG[1:])
    answer = await client.post(path, content=readable, headers=headers)
    assert answer.status_code == 400, answer.text
    assert REASON not in message_of(answer.json()), answer.text


async def test_an_event_with_a_number_too_long_to_read_says_so(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    headers = await event_headers(client, admin)
    answer = await client.post("/v3/events", content=f'{{"event": {LONG}}}', headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["payload"]["code"] == "INVALID_REQUEST_EXCEPTION", answer.text
    assert REASON in answer.json()["payload"]["description"], answer.text


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e5000"])
@pytest.mark.parametrize(
    ("path", "body", "headers", "message_of"),
    [
        pytest.param("/_localexa/restore", '{"version": %s}', ADMIN, lambda b: b["message"], id="restore"),
        pytest.param(
            "/auth/o2/token",
            '{"grant_type": "refresh_token", "refresh_token": "x", "extra": %s}',
            {"Content-Type": "application/json"},
            lambda b: b["error_description"],
            id="lwa-token",
        ),
    ],
)
async def test_a_number_that_is_not_finite_says_so(
    client: httpx.AsyncClient,
    number: str,
    path: str,
    body: str,
    headers: dict[str, str],
    message_of: Callable[[Any], str],
) -> None:
    """Restore said "not valid JSON", and the token endpoint took NaN for a number or ignored it
    (re-verification of 2026-12-06): as every other JSON body, it is no JSON number."""
    answer = await client.post(path, content=body % number, headers=headers)
    assert answer.status_code == 400, answer.text
    # The start of the message: LWA's error_description is ASCII (RFC 6749 §5.2), so ± is spelt U+00B1.
    assert message_of(answer.json()).startswith(NOT_FINITE_MESSAGE.split("±")[0]), answer.text
