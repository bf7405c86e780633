"""The codings a request's body may come in, checked by the request guard (core/request_guard.py)
from its header fields alone: nothing is read or decoded.

- **Transfer codings.** Only plain `chunked` (RFC 9112 §6.1); any other is refused with 501.
- **Content codings** (since 2026-12-06). No route decodes a body, so one sent with a
  `Content-Encoding` other than `identity` (`gzip`, `br`, one nobody knows) is refused with 415
  Unsupported Media Type, in the API's own error shape, naming the coding, with
  `Accept-Encoding: identity` (RFC 9110 §8.4, §12.5.3, §15.5.16). It was read as if it were
  plain, and a gzip JSON body got "The request body is not valid JSON.". Only a request that
  carries a body (a `Content-Length` over 0, or chunked) of a method that takes one is refused: a
  GET, or a POST without a body, has nothing coded, and is served. And only one a route would
  take (`routed`, since the evening of 2026-12-06): `POST /nonexistent` with a gzip body is the
  router's 404, and a method the path does not answer its 405; both were a 415, which sent the
  caller to fix a body nobody would read.

Both refusals quote the codings as sent (`Sent` parts: LWA's error_description keeps their code
points, core/message_parts.py), read as UTF-8 as the Host header is (core/host_header.py): until the
night of 2026-12-06 they were read as latin-1, so `Content-Encoding: §1` was quoted `Â§1`. They
quote at most 100 characters (`quoted`, the cut marked after the quote): the transfer coding was
quoted whole (a 60 KB header, a 180 KB error_description), the Content-Encoding cut without a mark.
"""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import Scope

from localexa.server.core.errors import UnsupportedMediaType
from localexa.server.core.message_parts import Parts, Sent, quoted

#: The methods of the routes that read a body (no route answers PATCH: it stays a 405). The OpenAPI
#: document lists the 415 on these operations (core/openapi.py).
BODY_METHODS = frozenset({"POST", "PUT", "DELETE"})
#: What a refused request may send instead (RFC 9110 §15.5.16: say which codings would do).
ACCEPT_IDENTITY = {"Accept-Encoding": "identity"}


def coding_message(codings: bytes) -> Parts:
    return Parts.of(
        "localexa does not accept the transfer coding ",
        *quoted(Sent.header(codings)),
        " (RFC 9112 §6.1); send the body with Content-Length, or chunked with no other coding.",
    )


def content_coding(value: bytes) -> bytes | None:
    """The value of a `Content-Encoding` field when it names a coding other than `identity`
    (any case, in a list: `identity, gzip`), else None."""
    for coding in value.split(b","):
        if coding.strip(b" \t").lower() not in (b"", b"identity"):
            return value.strip(b" \t")
    return None


def content_coding_refusal(codings: bytes) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        # `§`, as the other refusals before a route (the wire's 501, the Host 400) write it; LWA's
        # error_description says `section 8.4` (core/message_parts.py `description_text`).
        Parts.of(
            "localexa does not accept a body with Content-Encoding ",
            *quoted(Sent.header(codings)),
            "; send it uncoded (identity), without a Content-Encoding (RFC 9110 §8.4).",
        ),
        headers=ACCEPT_IDENTITY,
    )


def routed(scope: Scope) -> bool:
    """Whether a route takes this request (its path and method): asked only of a coded body, so
    the rare refusal pays for the walk over the routes, no other request does."""
    if scope["method"] not in BODY_METHODS:
        return False
    routes = getattr(scope.get("app"), "routes", None)
    if routes is None:  # no app to ask (a bare ASGI test harness): refuse, as before
        return True
    return any(route.matches(scope)[0] is Match.FULL for route in routes)
