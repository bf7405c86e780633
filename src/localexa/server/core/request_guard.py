"""What a request may carry, checked before any handler uses it: its size, and no U+0000.

- **Size.** A body over `max_bytes` is refused with 413: a `Content-Length` over the cap before
  reading, a chunked body as it arrives.
- **NUL (U+0000).** A path, query or body that holds it is refused with 400. PostgreSQL cannot
  store NUL in text (SQLSTATE 22021): a customer named "A\\u0000b", or a customer id with `%00`
  in the path, was a 500 there and a 201 or a 404 on SQLite. Refusing it at the door gives one
  answer on both databases, in the API's own shape, before anything is written. The body is
  searched as it streams in: a form body for `%00`, a multipart body for nothing more (its
  parts are raw text, where `%00` or `\\u0000` are just characters), any other (JSON) for the
  escape `\\u0000` (not for `\\\\u0000`, an escaped backslash before the text "u0000"), every
  body for a raw NUL byte. The substring tests cost well under a microsecond per request; the
  exact test runs only when one of them hits.
- **Raw bytes in the query.** A query string holding bytes past ASCII (not percent-encoded) is
  refused with 400 in the API's own shape, before anything decodes it.
- **Unpaired surrogates.** A JSON (not form or multipart) body whose string holds a UTF-16
  surrogate that is not half of a pair (`"\\ud800"`, or the bytes ED A0 80 that Python's `json`
  reads the same way) is refused with 400: it is no character (I-JSON, RFC 7493 §2.1), UTF-8
  cannot encode it, and neither database stores it (a client id holding one was a 500 at the
  token endpoint). Each chunk is searched for a hint (`\\uD8`–`\\uDF`, or ED A0–BF); only then
  is the whole body read escape by escape once it has all arrived, so `\\uD83D\\uDE00` (one
  emoji) passes.

Refusals met while the body is read are raised as `RequestRefused`, a FastAPI `HTTPException`:
FastAPI turns any other exception raised from the body into a 400 "There was an error parsing the
body", which made a chunked JSON body over the cap a 400 instead of a 413. The error handlers
(core/errors.py) render both in the family of the path.
"""

from __future__ import annotations

import re

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from localexa.server.core.errors import BadRequest, LocalexaError, PayloadTooLarge, render_error
from localexa.server.core.strict_json import SURROGATE_HINT, holds_lone_surrogate

#: `\u0000` preceded by an even number of backslashes (none, or escaped backslashes): a JSON NUL.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
#: How much of the previous chunk is searched again with the next (a split escape or `%00`).
_CARRY = 64
_FORM = b"application/x-www-form-urlencoded"
_MULTIPART = b"multipart/"


class RequestRefused(HTTPException):
    """A body refused as it was read (over the cap, or holding NUL): a handler that reads its body
    itself and catches Starlette's `HTTPException` (a broken multipart body) lets this one through."""


SURROGATE_MESSAGE = (
    "The request's body holds an unpaired UTF-16 surrogate (such as \\ud800), which is not a "
    "character; localexa does not accept it."
)


QUERY_NOT_ASCII = (
    "The request's query string holds bytes that are not ASCII; percent-encode them (RFC 3986 §2.1)."
)


def nul_message(where: str) -> str:
    return f"The request's {where} holds the character U+0000 (NUL), which localexa does not accept."


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal: LocalexaError | None = None
        form = False
        multipart = False
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    refusal = PayloadTooLarge(f"The request body is larger than {self.max_bytes} bytes.")
            elif name == b"content-type":
                media = value.lower()
                form = media.startswith(_FORM)
                multipart = media.startswith(_MULTIPART)
        if "\x00" in scope["path"]:
            refusal = BadRequest(nul_message("path"))
        else:
            query: bytes = scope.get("query_string", b"")
            if b"%00" in query:
                refusal = BadRequest(nul_message("query"))
            elif not query.isascii():
                # uvicorn refuses such a request line itself; other ASGI servers (and in-process
                # transports) pass the bytes on, where Starlette's UTF-8 decoding of the query was
                # a 500.
                refusal = BadRequest(QUERY_NOT_ASCII)
        if refusal is not None:
            # Refused before routing, so render here in the family of the path.
            families = scope["app"].state.families
            request_id = scope.get("state", {}).get("request_id", "-")
            response = render_error(refusal, families.family_for(scope["path"]), request_id)
            await response(scope, receive, send)
            return
        received = 0
        carry = b""
        chunks: list[bytes] = []  # the JSON body so far, for the surrogate test (references only)
        hinted = False

        async def guarded_receive() -> Message:
            nonlocal received, carry, hinted
            message = await receive()
            if message["type"] == "http.request":
                body: bytes = message.get("body", b"")
                received += len(body)
                if received > self.max_bytes:
                    raise RequestRefused(413, f"The request body is larger than {self.max_bytes} bytes.")
                if body and multipart:
                    if b"\x00" in body:
                        raise RequestRefused(400, nul_message("body"))
                elif body:
                    window = carry + body if carry else body
                    if holds_nul(window, form=form):
                        raise RequestRefused(400, nul_message("body"))
                    carry = window[-_CARRY:]
                    if not form:
                        chunks.append(body)
                        # Substring tests first: far cheaper than the pattern, and rarely true.
                        if not hinted and (b"\\u" in window or b"\xed" in window):
                            hinted = SURROGATE_HINT.search(window) is not None
                last = not message.get("more_body", False)
                if hinted and last and holds_lone_surrogate(b"".join(chunks)):
                    raise RequestRefused(400, SURROGATE_MESSAGE)
            return message

        await self.app(scope, guarded_receive, send)


def holds_nul(body: bytes, *, form: bool) -> bool:
    """Whether a request body (or a stretch of one) holds U+0000, raw or encoded."""
    if b"\x00" in body:
        return True
    if form:
        return b"%00" in body
    return b"\\u0000" in body and _JSON_NUL.search(body) is not None
