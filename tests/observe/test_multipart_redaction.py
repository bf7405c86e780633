"""Secrets sent as multipart/form-data parts are redacted too (curl -F, browsers' file forms).

The journal parses JSON and urlencoded bodies and rebuilds them; a multipart body is neither, so
it is scrubbed by pattern: every part named like a secret loses its value.
"""

from __future__ import annotations

import httpx

from localexa.server.observe.redaction import REDACTED, redact_body
from tests.observe.helpers import journal

SECRET = "MULTIPARTSECRET123"


Fields = dict[str, tuple[str | None, bytes | str] | tuple[str, bytes, str]]


def _multipart(fields: Fields) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://localexa.test/", files=fields)
    return request.read(), request.headers["content-type"]


def test_secret_parts_lose_their_values_and_the_rest_stays() -> None:
    body, content_type = _multipart(
        {
            "grant_type": (None, "client_credentials"),
            "client_secret": (None, SECRET),
            "password": ("pw.txt", f"{SECRET}\r\nsecond line".encode(), "text/plain"),
            "client_id": (None, "amzn1.application-oa2-client.x"),
        }
    )

    redacted = redact_body(body, content_type)

    assert redacted is not None
    assert SECRET not in redacted
    assert "second line" not in redacted
    assert redacted.count(REDACTED) == 2
    assert "client_credentials" in redacted
    assert "amzn1.application-oa2-client.x" in redacted


def test_a_part_cut_at_the_cap_is_redacted_to_the_end() -> None:
    body, content_type = _multipart({"client_secret": (None, SECRET * 4)})
    cut = body[: body.index(SECRET.encode()) + 5]

    redacted = redact_body(cut, content_type, truncated=True)

    assert redacted is not None
    assert SECRET[:5] not in redacted
    assert redacted.endswith(REDACTED)


async def test_a_multipart_token_request_reaches_the_journal_without_its_secret(
    client: httpx.AsyncClient,
) -> None:
    await client.post(
        "/auth/o2/token",
        files={
            "grant_type": (None, "client_credentials"),
            "client_id": (None, "amzn1.application-oa2-client.nobody"),
            "client_secret": (None, SECRET),
        },
    )

    [entry] = await journal(client, path="/auth/o2/token")
    assert "client_credentials" in entry["requestBody"]
    assert SECRET not in entry["requestBody"]
    assert REDACTED in entry["requestBody"]
