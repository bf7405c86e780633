"""A fixed access token as `Authorization: Bearer <token>`, and the header value every auth of the
client sets (auth.py's `LwaTokenAuth` too)."""

from __future__ import annotations

from collections.abc import Generator

import httpx

from localexa.client._errors import ConfigurationError

__all__ = ["BearerAuth", "bearer_header_value"]


def bearer_header_value(token: str | None) -> str:
    """The `Authorization` value for `token`, or ConfigurationError when a header cannot carry it.

    Every auth here sets its header through this, after httpx built the request: headers given to
    a request as it is built are held to ASCII (an admin key with a byte-order mark is refused
    there), but one assigned to a built request is encoded as UTF-8. A token read from a file with
    a byte-order mark, or pasted with an "é" or a typographic quote, then went out and came back
    as a 401 "The access token is not valid", as if the token had expired. RFC 9110 §5.5 leaves
    such bytes opaque and no token has them: refuse it before anything is sent, naming the fault
    and never the token (nor chaining an error that quotes it)."""
    value = f"Bearer {token}"
    if not value.isascii():
        raise ConfigurationError(
            "The request could not be sent: the access token is not text HTTP can carry (it holds a "
            "character past ASCII, e.g. a byte-order mark from a file or a typographic quote). "
            "Check the token."
        )
    return value


class BearerAuth(httpx.Auth):
    """A fixed access token as `Authorization: Bearer <token>`."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = bearer_header_value(self._token)
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"
