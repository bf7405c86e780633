"""What a request sent keeps its code points in LWA's error_description, in the refusals every API
family shares: a Content-Encoding, a transfer coding, a Host, a validation error
(core/message_parts.py). Until the night of 2026-12-06 their messages were plain text whose quoted
values were guessed from the finished text, so a value holding `' ` beside `§1`, `…` or `±2` was
cut in two and its middle spelt as localexa's own words (`'a' section 1 'b'`), and a value no
quote marked (a field's name) was spelt so whole."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI, Query
from pydantic import BaseModel, field_validator

from localexa.server.core.message_parts import Parts, Sent

TOKEN = "/auth/o2/token"
FORM = (b"content-type", b"application/x-www-form-urlencoded")
#: RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")


def _description(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == "invalid_request", body
    description = str(body["error_description"])
    assert DESCRIPTION.fullmatch(description), description
    return description


@pytest.mark.parametrize(
    ("sent", "told"),
    [
        ("a' \u00a71 'b", "'a' U+00A71 'b'"),
        ("x' \u2026 'y \u00b12", "'x' U+2026 'y U+00B12'"),
    ],
)
async def test_a_content_encoding_is_quoted_whole_in_code_points(
    client: httpx.AsyncClient, sent: str, told: str
) -> None:
    headers = [FORM, (b"content-encoding", sent.encode())]
    answer = await client.post(TOKEN, content=b"grant_type=x", headers=headers)
    assert _description(answer, 415) == (
        f"localexa does not accept a body with Content-Encoding {told}; send it uncoded (identity), "
        "without a Content-Encoding (RFC 9110 section 8.4)."
    )


async def test_a_transfer_coding_is_quoted_whole_in_code_points(client: httpx.AsyncClient) -> None:
    headers = [FORM, (b"transfer-encoding", "a' \u00a71 'b, chunked".encode())]
    answer = await client.post(TOKEN, content=b"grant_type=x", headers=headers)
    assert _description(answer, 501) == (
        "localexa does not accept the transfer coding 'a' U+00A71 'b, chunked' (RFC 9112 section 6.1); "
        "send the body with Content-Length, or chunked with no other coding."
    )


async def test_a_host_is_quoted_whole_in_code_points(client: httpx.AsyncClient) -> None:
    # As sent, its `"` as `'` (RFC 6749's set has no `"`); it went through Python's repr, which
    # added a backslash (`'aU+005C' U+00A71 'b'`) until the night of 2026-12-06
    # (tests/lwa/test_quoted_headers_cut.py).
    answer = await client.post(
        TOKEN, data={"grant_type": "x"}, headers=[(b"host", "a' \u00a71 \"b".encode())]
    )
    assert _description(answer, 400) == (
        "The Host header 'a' U+00A71 'b' is not a host[:port] (RFC 9112 section 3.2)."
    )


class _Thing(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        # A validator quoting the value it refuses gives it as parts: its own `§` is a word.
        raise ValueError(Parts.of("The name '", Sent(name), "' is not known (RFC 6749 \u00a73.3)."))


@pytest.fixture
def probed(app: FastAPI) -> FastAPI:
    """The app with routes under /auth/o2 that validate what they are sent, as FastAPI does (no
    LWA route takes a field FastAPI validates today; the error handlers serve any that does)."""

    async def keys(body: dict[str, int]) -> dict[str, str]:
        return {}

    async def thing(body: _Thing) -> dict[str, str]:
        return {}

    async def by_id(id: uuid.UUID = Query()) -> dict[str, str]:  # the query's name
        return {}

    app.add_api_route("/auth/o2/probe/keys", keys, methods=["POST"])
    app.add_api_route("/auth/o2/probe/thing", thing, methods=["POST"])
    app.add_api_route("/auth/o2/probe/id", by_id, methods=["GET"])
    app.add_api_route("/_localexa/probe/thing", thing, methods=["POST"])
    return app


async def test_a_validation_error_keeps_what_the_request_sent(
    probed: FastAPI, client: httpx.AsyncClient
) -> None:
    # A key the request named is the field's place: it read `a' section 1 'b: Input should …`.
    keys = await client.post("/auth/o2/probe/keys", json={"a' \u00a71 'b": "x"})
    assert _description(keys, 400) == (
        "a' U+00A71 'b: Input should be a valid integer, unable to parse string as an integer"
    )
    # pydantic's words quote the input: its `…` read `...`.
    by_id = await client.get("/auth/o2/probe/id", params={"id": "\u2026"})
    description = _description(by_id, 400)
    assert description.startswith("id: Input should be a valid UUID"), description
    assert "found `U+2026` at 0" in description, description
    # A validator's own parts: its words in ASCII, the value as sent.
    thing = await client.post("/auth/o2/probe/thing", json={"name": "x \u00a71"})
    assert _description(thing, 400) == "name: The name 'x U+00A71' is not known (RFC 6749 section 3.3)."
    # The other families write the parts joined, every character as it is.
    admin = await client.post("/_localexa/probe/thing", json={"name": "x \u00a71"})
    assert admin.status_code == 400, admin.text
    assert admin.json() == {"message": "name: The name 'x \u00a71' is not known (RFC 6749 \u00a73.3)."}
