"""What a request may carry, checked before any handler uses it: its size, its framing, no U+0000,
and a body that keeps coming.

- **Size.** A body over `max_bytes` is refused with 413: a `Content-Length` over the cap before
  reading, with `Connection: close` (nobody reads that body), a chunked body as it arrives (the
  rest of it is read and dropped, and the connection goes on). `POST /_localexa/restore` has a
  cap of its own, `restore_bytes` (`LOCALEXA_MAX_RESTORE_BYTES`, 64 MiB; the larger of the two
  counts): a snapshot of a modestly used server (27 customers, their skill messages and token
  rows: 1.24 MB) could not be restored into the server it came from (since 2026-12-06). Its body
  is still counted as it arrives, so no more than the cap is ever held, and read only once the
  admin key has passed (core/admin_route.py).
- **NUL (U+0000).** A path, query or body that holds it is refused with 400. PostgreSQL cannot
  store NUL in text (SQLSTATE 22021): a customer named "A\\u0000b", or a customer id with `%00`
  in the path, was a 500 there and a 201 or a 404 on SQLite. Refusing it at the door gives one
  answer on both databases, in the API's own shape, before anything is written. The body is
  searched as it streams in: a form body for `%00`, a multipart body for nothing more (its
  parts are raw text, where `%00` or `\\u0000` are just characters), any other (JSON) for the
  escape `\\u0000` (not for `\\\\u0000`, an escaped backslash before the text "u0000"), every
  body for a raw NUL byte. The substring tests cost well under a microsecond per request; the
  exact test runs only when one of them hits. A body whose first bytes say UTF-16 or UTF-32 (a
  byte order mark, or NULs beside ASCII characters, as `json.detect_encoding` reads them) holds
  NUL bytes but no U+0000: it is refused as not UTF-8 instead.
- **Raw bytes in the query.** A query string holding bytes past ASCII (not percent-encoded) is
  refused with 400 in the API's own shape, before anything decodes it.
- **Unpaired surrogates.** A JSON (not form or multipart) body whose string holds a UTF-16
  surrogate that is not half of a pair (`"\\ud800"`, or the bytes ED A0 80 that Python's `json`
  reads the same way) is refused with 400: it is no character (I-JSON, RFC 7493 §2.1), UTF-8
  cannot encode it, and neither database stores it (a client id holding one was a 500 at the
  token endpoint). Each chunk is searched for a hint (`\\uD8`–`\\uDF`, or ED A0–BF); only then
  is the whole body read escape by escape once it has all arrived, so `\\uD83D\\uDE00` (one
  emoji) passes.

- **Framing the server passed on.** An HTTP/1.1 request without a `Host` header, or any request
  with two, or one whose value is not a host[:port], is refused with 400 (core/host_header.py). A
  `Transfer-Encoding` other than plain `chunked` (`gzip, chunked`) is refused with 501 (RFC 9112
  §6.1): the parser strips the chunking and handed the handler the still-compressed bytes. A
  body with a `Content-Encoding` other than `identity` is refused with 415 (core/codings.py).
- **The asterisk form.** `OPTIONS *` (RFC 9110 §9.3.7: the server as a whole) is answered 200
  with `Allow` listing `SERVED_METHODS`; `*` with any other method is refused with 400 (RFC 9112
  §3.2.4). Both were a 404 for the path `*`.
- **A body that stops.** A body that pauses longer than the client timeout (`localexa serve
  --client-timeout`, 10 s: `Settings.client_timeout`) is refused with 408 and the connection
  closed: a `Content-Length` larger than what was sent held the call (and its connection) open
  for ever. A body that keeps coming but slowly must still be complete within
  `BODY_TIME_FACTOR` client timeouts (30 s by default), else 408 the same way: one byte every few
  seconds, on as many connections as the server takes, held every slot for ever (the wire guard
  sheds connections waiting for a head, never one whose request runs). A client that goes away
  before its body is complete gets the 400 it will never read,
  in place of Starlette's `ClientDisconnect`, which reached the log as a bug's traceback and a
  500 (nothing was written either way: the handler never had the body). The request's state is
  marked `BODY_CUT_OFF`, so its access line and journal entry say it was cut off rather than
  answered 400 (nobody got that 400; when the wire answered it itself, its client got another
  status under another request id).
- **`Expect: 100-continue` answered before the body was asked for** (any refusal, a 401): the
  answer says `Connection: close` (RFC 9110 §10.1.1). The client has not sent its body; on a
  connection left open, whatever it sent next was read as that body. An HTTP/1.0 client's
  expectation is ignored: it gets no `100 Continue` (§10.1.1; cli/wire.py).

Refusals met while the body is read are raised as `RequestRefused`, both a `LocalexaError` (so
the error handlers render it with its own status and code) and a Starlette `HTTPException`:
FastAPI turns any other exception raised from the body into a 400 "There was an error parsing the
body", which made a chunked JSON body over the cap a 400 instead of a 413. The error handlers
(core/error_handlers.py) render both in the family of the path.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from localexa.server.core.codings import coding_message, content_coding, content_coding_refusal, routed
from localexa.server.core.errors import (
    BadRequest,
    LocalexaError,
    PayloadTooLarge,
    refused_in_shape,
    render_error,
)
from localexa.server.core.host_header import host_message, host_value_message, is_host_value
from localexa.server.core.message_parts import Parts, Sent
from localexa.server.core.refusals import NotImplementedHere, RequestTimeout
from localexa.server.core.strict_json import SURROGATE_HINT, holds_lone_surrogate

#: `\u0000` preceded by an even number of backslashes (none, or escaped backslashes): a JSON NUL.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_CLOSE = {"Connection": "close"}
#: How much of the previous chunk is searched again with the next (a split escape or `%00`).
_CARRY = 64
_FORM = b"application/x-www-form-urlencoded"
_MULTIPART = b"multipart/"


#: Seconds a body may pause before it is refused with 408, unless `Settings.client_timeout` says
#: otherwise (`localexa serve --client-timeout` sets it; cli/serve_run.py holds heads and unread
#: answers to the same time).
CLIENT_TIMEOUT_SECONDS = 10.0


#: How many client timeouts a whole body may take to arrive (a 1 MiB body at 35 KB/s, in 30 s).
BODY_TIME_FACTOR = 3


#: The methods localexa serves on some path: its routes', and HEAD wherever GET is (core/head.py).
#: `OPTIONS *` lists them (RFC 9110 §9.3.7); OPTIONS on a path is that path's 405, as no route
#: answers OPTIONS (no origin is granted CORS). tests/core/test_request_guard.py holds this to the
#: routes.
SERVED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")

#: The one route with a body cap of its own (`restore_bytes`).
RESTORE_PATH = "/_localexa/restore"


class RequestRefused(LocalexaError, HTTPException):  # type: ignore[misc]  # both define `headers`
    """A body refused as it was read (over the cap, holding NUL, too slow, cut off). A
    `LocalexaError`, so it is rendered with its own status and code; and a Starlette
    `HTTPException`, so FastAPI's body reading lets it through (any other exception there became a
    400 "There was an error parsing the body"), and so does a handler that reads its body itself
    and catches `HTTPException` (a broken multipart body)."""

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        LocalexaError.__init__(self, message, headers=headers)
        HTTPException.__init__(self, self.status, message, self.headers)


class BodyTooLarge(RequestRefused):
    status = 413
    default_code = PayloadTooLarge.default_code


class BodyRefused(RequestRefused):
    status = 400
    default_code = BadRequest.default_code


class BodyTimedOut(RequestRefused):
    status = 408
    default_code = RequestTimeout.default_code


SURROGATE_MESSAGE = (
    "The request's body holds an unpaired UTF-16 surrogate (such as \\ud800), which is not a "
    "character; localexa does not accept it."
)


QUERY_NOT_ASCII = (
    "The request's query string holds bytes that are not ASCII; percent-encode them (RFC 3986 §2.1)."
)


CUT_OFF_MESSAGE = "The client closed the connection before the request was read; nothing of it was done."

#: Set in the request's state when its connection ended before its body arrived whole: the 400
#: rendered for it reaches nobody (the client left, or the wire answered it itself, cli/wire.py),
#: so the access log and the journal say "cut off" instead of a status (observe/middleware.py).
BODY_CUT_OFF = "body_cut_off"


def body_timeout_message(seconds: float) -> str:
    return (
        f"The request's body stopped arriving: nothing came for {seconds:g} s. Send the whole body "
        "the Content-Length announces, or end a chunked body with its last chunk."
    )


def body_deadline_message(seconds: float) -> str:
    return f"The request's body took longer than {seconds:g} s to arrive; send it faster (or a smaller one)."


def asterisk_message(method: str) -> Parts:
    return Parts.of(
        "The target '*' asks about the server as a whole, which only OPTIONS may (RFC 9112 §3.2.4); a ",
        Sent(method[:40]),
        " names a path.",
    )


def nul_message(where: str) -> str:
    return f"The request's {where} holds the character U+0000 (NUL), which localexa does not accept."


NOT_UTF8_MESSAGE = (
    "The request's body is not UTF-8: it looks like UTF-16 or UTF-32 (a byte order mark, or NUL "
    "bytes between its first characters). Send it as UTF-8 (JSON: RFC 8259 §8.1)."
)


def body_nul_message(head: bytes) -> str:
    """What to say of a body that holds a NUL byte, by its first bytes (4 are enough): UTF-16 and
    UTF-32 text has NUL bytes beside every ASCII character, where the client meant none; said to
    hold U+0000, its sender looked for a character that is not there."""
    if json.detect_encoding(head) in ("utf-8", "utf-8-sig"):
        return nul_message("body")
    return NOT_UTF8_MESSAGE


class RequestGuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        client_timeout: float = CLIENT_TIMEOUT_SECONDS,
        restore_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.client_timeout = client_timeout
        self.restore_bytes = max(max_bytes, restore_bytes or 0)

    def cap_of(self, scope: Scope) -> int:
        """The body cap of this request: the restore's own, or every other route's."""
        if scope["method"] == "POST" and scope["path"] == RESTORE_PATH:
            return self.restore_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal: LocalexaError | None = None
        max_bytes = self.cap_of(scope)
        form = False
        multipart = False
        hosts = 0
        announced = False  # a body follows the head (Content-Length over 0, or chunked)
        expects_continue = False
        coded: bytes | None = None  # a Content-Encoding other than identity
        codings_sent: list[bytes] = []  # every Transfer-Encoding field's value, in order
        coding_refusal: LocalexaError | None = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                announced = declared > 0
                if declared > max_bytes:
                    # Nobody reads that body: the connection closes after the answer, and says so
                    # (RFC 9112 §9.6; the wire reads and drops what is still coming for a while,
                    # so the client reads the answer, not a reset: cli/wire.py).
                    refusal = PayloadTooLarge(
                        f"The request body is larger than {max_bytes} bytes.", headers=_CLOSE
                    )
            elif name == b"content-type":
                media = value.lower()
                form = media.startswith(_FORM)
                multipart = media.startswith(_MULTIPART)
            elif name == b"host":
                hosts += 1
                if not is_host_value(value):
                    refusal = BadRequest(host_value_message(value))
            elif name == b"transfer-encoding":
                announced = True
                codings_sent.append(value.strip())
                codings = value.lower().replace(b" ", b"").replace(b"\t", b"")
                if codings != b"chunked" and refusal is None:
                    refusal = coding_refusal = NotImplementedHere(coding_message(value.strip()))
            elif name == b"expect":
                expects_continue = value.lower() == b"100-continue"
            elif name == b"content-encoding" and coded is None:
                coded = content_coding(value)
        if refusal is not None and refusal is coding_refusal and len(codings_sent) > 1:
            # Two fields are one list (RFC 9110 §5.3): `gzip` then `chunked` named only 'gzip'.
            refusal = NotImplementedHere(coding_message(b", ".join(codings_sent)))
        if coded is not None and announced and refusal is None and routed(scope):
            refusal = content_coding_refusal(coded)
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
        if hosts > 1 or (hosts == 0 and scope.get("http_version") == "1.1"):
            refusal = BadRequest(host_message(hosts))
        asterisk = scope["path"] == "*"  # RFC 9112 §3.2.4: the server itself, for OPTIONS only
        if asterisk and refusal is None and scope["method"] != "OPTIONS":
            refusal = BadRequest(asterisk_message(scope["method"]))
        asked = False  # whether the body was asked for (uvicorn sends `100 Continue` then)
        # RFC 9110 §10.1.1: an HTTP/1.0 client's expectation is ignored (it gets no 100 Continue,
        # cli/wire.py), and its connection closes after the answer anyway.
        if expects_continue and announced and scope.get("http_version") != "1.0":
            send = _closing_unless_asked(send, lambda: asked)
        if refusal is not None:
            # Refused before routing, so render here in the family of the path.
            families = scope["app"].state.families
            request_id = scope.get("state", {}).get("request_id", "-")
            refusal = refused_in_shape(refusal, scope["path"])
            response = render_error(refusal, families.family_for(scope["path"]), request_id)
            await response(scope, receive, send)
            return
        if asterisk:
            # RFC 9110 §9.3.7: what the server as a whole offers; no content, so Content-Length 0.
            allow = {"Allow": ", ".join(SERVED_METHODS)}
            await Response(status_code=200, headers=allow)(scope, receive, send)
            return
        received = 0
        carry = b""
        head = b""  # the body's first bytes, to tell UTF-16 or UTF-32 from a NUL (body_nul_message)
        chunks: list[bytes] = []  # the JSON body so far, for the surrogate test (references only)
        hinted = False
        complete = False  # the body's last message has come
        timeout = self.client_timeout
        whole = BODY_TIME_FACTOR * timeout
        deadline: float | None = None  # set when the body is first asked for

        async def guarded_receive() -> Message:
            nonlocal received, carry, head, hinted, complete, asked, deadline
            asked = True
            if complete:  # only `http.disconnect` is left to come, whenever the client leaves
                return await receive()
            now = asyncio.get_running_loop().time()
            if deadline is None:
                deadline = now + whole
            wait = min(timeout, deadline - now)
            try:
                if wait <= 0:
                    raise TimeoutError
                async with asyncio.timeout(wait):
                    message = await receive()
            except TimeoutError:
                # Closed after the answer: what the client sends later is the rest of a body
                # nobody reads.
                late = asyncio.get_running_loop().time() >= deadline
                reason = body_deadline_message(whole) if late else body_timeout_message(timeout)
                raise BodyTimedOut(reason, headers={"Connection": "close"}) from None
            if message["type"] == "http.disconnect":
                # Starlette raises ClientDisconnect for it, which reached the log as a bug (a 500
                # and a traceback). Nobody reads this answer: the access log and the journal say
                # the request was cut off, not that it was answered 400.
                scope.setdefault("state", {})[BODY_CUT_OFF] = True
                raise BodyRefused(CUT_OFF_MESSAGE)
            if message["type"] == "http.request":
                body: bytes = message.get("body", b"")
                received += len(body)
                if received > max_bytes:
                    raise BodyTooLarge(f"The request body is larger than {max_bytes} bytes.")
                if body and multipart:
                    if b"\x00" in body:
                        raise BodyRefused(nul_message("body"))
                elif body:
                    if len(head) < 4:
                        head += body[: 4 - len(head)]
                    window = carry + body if carry else body
                    if holds_nul(window, form=form):
                        raise BodyRefused(body_nul_message(head))
                    carry = window[-_CARRY:]
                    if not form:
                        chunks.append(body)
                        # Substring tests first: far cheaper than the pattern, and rarely true.
                        if not hinted and (b"\\u" in window or b"\xed" in window):
                            hinted = SURROGATE_HINT.search(window) is not None
                last = not message.get("more_body", False)
                complete = last
                if hinted and last and holds_lone_surrogate(b"".join(chunks)):
                    raise BodyRefused(SURROGATE_MESSAGE)
            return message

        await self.app(scope, guarded_receive, send)


def _closing_unless_asked(send: Send, asked: Callable[[], bool]) -> Send:
    """`send`, adding `Connection: close` to an answer that starts before the body was asked for.

    The client sent `Expect: 100-continue` and waits for `100 Continue` (sent by uvicorn when the
    app first asks for the body) before sending its body; answered without it, it sends nothing,
    and on a connection left open its next request was read as the announced body (RFC 9110
    §10.1.1: say whether the connection stays)."""

    async def closing_send(message: Message) -> None:
        if message["type"] == "http.response.start" and not asked():
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await send(message)

    return closing_send


def holds_nul(body: bytes, *, form: bool) -> bool:
    """Whether a request body (or a stretch of one) holds U+0000, raw or encoded."""
    if b"\x00" in body:
        return True
    if form:
        return b"%00" in body
    return b"\\u0000" in body and _JSON_NUL.search(body) is not None
