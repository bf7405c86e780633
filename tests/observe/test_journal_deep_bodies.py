"""A JSON body nested deeper than `strict_json.MAX_DEPTH` is journaled as scrubbed text.

The journal decoded every JSON body with plain `json` and redacted it recursively: a body a few
hundred levels deep (refused with 400 by the API, but journaled like any call) raised
RecursionError there, and the call was missing from the journal ("journal entry skipped:
RecursionError"; QA of 2026-12-06). Past the limit the body is now scrubbed as text instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from localexa.server.core.strict_json import MAX_DEPTH
from localexa.server.observe.exchange import JOURNAL_JSON_DEPTH, Exchange, to_row
from tests.observe.helpers import journal

SECRET = "client-secret-0123456789abcdef"


def _deep_body(levels: int) -> bytes:
    return ('{"grant_type": "client_credentials", "client_secret": "' + SECRET + '", "x": ').encode() + (
        _nesting(levels) + b"}"
    )


def _nesting(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize("levels", [MAX_DEPTH, 900, 995, 5000, 50_000])
async def test_a_deep_body_is_journaled_with_its_secrets_hidden(
    client: httpx.AsyncClient, levels: int
) -> None:
    answered = await client.post(
        "/auth/o2/token", content=_deep_body(levels), headers={"Content-Type": "application/json"}
    )
    assert answered.status_code in (400, 401), answered.text

    [entry] = await journal(client, path="/auth/o2/token")
    assert entry["status"] == answered.status_code
    assert SECRET not in (entry["requestBody"] or "")
    assert "client_credentials" in entry["requestBody"]


@pytest.mark.parametrize("levels", [JOURNAL_JSON_DEPTH + 1, MAX_DEPTH, 995, 5000])
def test_to_row_scrubs_a_deep_body_as_text(levels: int) -> None:
    exchange = Exchange(
        direction="inbound",
        at=datetime.now(UTC),
        method="POST",
        path="/auth/o2/token",
        status=400,
        latency_ms=1.0,
        request_headers=[("content-type", "application/json")],
        request_body=_deep_body(levels),
        response_headers=[("content-type", "application/json")],
        response_body=b'{"access_token": "Atza|' + b"x" * 40 + b'", "a": ' + _nesting(levels) + b"}",
    )
    row, _ = to_row(exchange)
    assert SECRET not in row["request_body"]
    assert "Atza|" + "x" * 40 not in row["response_body"]
    assert "[" * levels + "]" * levels in row["request_body"]
