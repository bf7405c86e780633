"""A refusal quoting a header field's value quotes at most its first 100 characters, and marks a
cut with localexa's own `…` after the closing quote, where no one reads it as sent: the Host
(400), a Content-Encoding (415), a transfer coding (501) and the token endpoint's Content-Type
(400). Until the night of 2026-12-06 the Content-Type and the transfer coding were quoted whole,
so a 60 KB header made a 180 KB error_description (each `§` six characters, `U+00A7`), and the
Host and the Content-Encoding were cut without a mark, as if the client had sent 100 characters.

The Host is quoted as sent, as the codings are: it went through Python's repr, so LWA's
error_description read a backslash the client never sent (`a' §1 "b` as `'aU+005C' U+00A71 'b'`)."""

from __future__ import annotations

import httpx
import pytest

TOKEN = "/auth/o2/token"
ADMIN_PATH = "/_localexa/customers"
FORM = (b"content-type", b"application/x-www-form-urlencoded")
#: 30,000 section signs: a 60 KB header.
LONG = "\u00a7" * 30_000
#: The first 100 characters of `prefix + LONG`, as error_description writes them.
SHOWN_LWA = 100


def _lwa(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text[:300]
    assert len(answer.content) < 1_500, len(answer.content)
    description = answer.json()["error_description"]
    assert isinstance(description, str)
    return description


def _json(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text[:300]
    assert len(answer.content) < 1_500, len(answer.content)
    message = answer.json()["message"]
    assert isinstance(message, str)
    return message


def _in_code_points(text: str) -> str:
    return "".join(c if c.isascii() else f"U+{ord(c):04X}" for c in text)


async def test_a_long_content_type_is_cut_at_100_characters_with_the_mark_outside_the_quotes(
    client: httpx.AsyncClient,
) -> None:
    sent = "text/" + LONG
    answer = await client.post(TOKEN, content=b"grant_type=x", headers=[(b"content-type", sent.encode())])
    assert _lwa(answer, 400) == (
        f"The Content-Type '{_in_code_points(sent[:SHOWN_LWA])}'... is not supported: send "
        "application/x-www-form-urlencoded (or application/json)."
    )


@pytest.mark.parametrize("length", [99, 100])
async def test_a_content_type_of_100_characters_is_quoted_whole_without_a_mark(
    client: httpx.AsyncClient, length: int
) -> None:
    sent = "text/" + "x" * (length - 5)
    answer = await client.post(TOKEN, content=b"grant_type=x", headers=[(b"content-type", sent.encode())])
    assert _lwa(answer, 400) == (
        f"The Content-Type '{sent}' is not supported: send application/x-www-form-urlencoded "
        "(or application/json)."
    )


async def test_a_long_transfer_coding_is_cut_with_the_mark_outside_the_quotes(
    client: httpx.AsyncClient,
) -> None:
    sent = "x" + LONG + ", chunked"
    headers = [FORM, (b"transfer-encoding", sent.encode())]
    lwa = await client.post(TOKEN, content=b"grant_type=x", headers=headers)
    assert _lwa(lwa, 501) == (
        f"localexa does not accept the transfer coding '{_in_code_points(sent[:100])}'... (RFC 9112 "
        "section 6.1); send the body with Content-Length, or chunked with no other coding."
    )
    admin = await client.post(ADMIN_PATH, content=b"{}", headers=[(b"transfer-encoding", sent.encode())])
    told = _json(admin, 501)
    assert told.startswith(f"localexa does not accept the transfer coding '{sent[:100]}'\u2026 (RFC"), told


async def test_a_long_content_encoding_is_cut_with_the_mark_outside_the_quotes(
    client: httpx.AsyncClient,
) -> None:
    sent = "x" + LONG
    headers = [FORM, (b"content-encoding", sent.encode())]
    lwa = await client.post(TOKEN, content=b"grant_type=x", headers=headers)
    assert _lwa(lwa, 415).startswith(
        f"localexa does not accept a body with Content-Encoding '{_in_code_points(sent[:100])}'...; send"
    )
    admin = await client.post(ADMIN_PATH, content=b"{}", headers=[(b"content-encoding", sent.encode())])
    assert _json(admin, 415).startswith(
        f"localexa does not accept a body with Content-Encoding '{sent[:100]}'\u2026; send"
    )


async def test_a_long_host_is_cut_with_the_mark_outside_the_quotes(client: httpx.AsyncClient) -> None:
    sent = "a/" + "b" * 200
    lwa = await client.post(TOKEN, data={"grant_type": "x"}, headers=[(b"host", sent.encode())])
    assert _lwa(lwa, 400) == (
        f"The Host header '{sent[:100]}'... is not a host[:port] (RFC 9112 section 3.2)."
    )
    admin = await client.get("/_localexa/clock", headers=[(b"host", sent.encode())])
    told = _json(admin, 400)
    assert told == f"The Host header '{sent[:100]}'\u2026 is not a host[:port] (RFC 9112 \u00a73.2).", told


@pytest.mark.parametrize(
    ("sent", "lwa", "json"),
    [
        # repr escaped the `'` (`'a\' §1 "b'`): LWA read a backslash the client never sent.
        ("a' \u00a71 \"b", "'a' U+00A71 'b'", "'a' \u00a71 \"b'"),
        # repr doubled a backslash: LWA read two.
        ("a\\b", "'aU+005Cb'", "'a\\b'"),
        # repr quoted a value holding a `'` and no `"` in double quotes.
        ("it's/x", "'it's/x'", "'it's/x'"),
    ],
)
async def test_a_refused_host_is_quoted_as_sent(
    client: httpx.AsyncClient, sent: str, lwa: str, json: str
) -> None:
    refused = await client.post(TOKEN, data={"grant_type": "x"}, headers=[(b"host", sent.encode())])
    assert _lwa(refused, 400) == f"The Host header {lwa} is not a host[:port] (RFC 9112 section 3.2)."
    admin = await client.get("/_localexa/clock", headers=[(b"host", sent.encode())])
    assert _json(admin, 400) == f"The Host header {json} is not a host[:port] (RFC 9112 \u00a73.2)."
