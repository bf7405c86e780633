"""Answers that carry secrets are kept by no cache: `Cache-Control: no-store` and, for HTTP/1.0
caches, `Pragma: no-cache` (RFC 6749 §5.1 asks it of token answers; the same holds for any
answer with a client secret, a token or a network key in it, which a caching proxy in front of a
shared localexa could otherwise keep and hand to the next caller)."""

from __future__ import annotations

from starlette.responses import Response

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def not_stored(response: Response) -> Response:
    """`response`, marked no-store unless it says otherwise already."""
    for name, value in NO_STORE.items():
        response.headers.setdefault(name, value)
    return response
