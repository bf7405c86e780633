"""The token endpoint quotes a Content-Type it does not take as the client sent it (lwa/forms.py):
until the night of 2026-12-06 it quoted it lower-cased and without its parameters, so
`Text/Plain; charset=UTF-8` read `'text/plain'`, a header the client never sent."""

from __future__ import annotations

import httpx
import pytest

TOKEN = "/auth/o2/token"
SUPPORTED = "' is not supported: send application/x-www-form-urlencoded (or application/json)."


@pytest.mark.parametrize(
    ("sent", "told"),
    [
        ("Text/Plain; charset=UTF-8", "Text/Plain; charset=UTF-8"),
        ('multipart/form-data; boundary="x y"', "multipart/form-data; boundary='x y'"),
        # UTF-8, as clients send it: one code point each, as the other values the request sent.
        ("text/x-\u00a71; q=\u2026", "text/x-U+00A71; q=U+2026"),
    ],
)
async def test_a_content_type_not_taken_is_quoted_as_sent(
    client: httpx.AsyncClient, sent: str, told: str
) -> None:
    answer = await client.post(TOKEN, content=b"grant_type=x", headers=[(b"content-type", sent.encode())])
    assert answer.status_code == 400, answer.text
    assert answer.json() == {
        "error": "invalid_request",
        "error_description": f"The Content-Type '{told}{SUPPORTED}",
    }
