"""The errors of requests refused before any handler saw them, by status: the request guard's
(core/request_guard.py) and those `localexa serve`'s wire guard writes itself (cli/wire.py renders
them through `refusal`, in the API family of the path)."""

from __future__ import annotations

from localexa.server.core.errors import BadRequest, LocalexaError, PayloadTooLarge, ServiceUnavailable
from localexa.server.core.message_parts import Parts


class RequestTimeout(LocalexaError):
    status = 408
    default_code = "REQUEST_TIMEOUT"


class UriTooLong(LocalexaError):
    status = 414
    default_code = "URI_TOO_LONG"


class HeadTooLarge(LocalexaError):
    status = 431
    default_code = "REQUEST_HEADER_FIELDS_TOO_LARGE"


class NotImplementedHere(LocalexaError):
    """A transfer coding (RFC 9112 §6.1) or, on the wire, a method (RFC 9110 §9.1) localexa does
    not know."""

    status = 501
    default_code = "NOT_IMPLEMENTED"


class VersionNotSupported(LocalexaError):
    """An HTTP version other than 1.x, refused on the wire (RFC 9110 §15.6.6)."""

    status = 505
    default_code = "HTTP_VERSION_NOT_SUPPORTED"


_REFUSALS: dict[int, type[LocalexaError]] = {
    400: BadRequest,
    408: RequestTimeout,
    413: PayloadTooLarge,
    414: UriTooLong,
    431: HeadTooLarge,
    501: NotImplementedHere,
    503: ServiceUnavailable,
    505: VersionNotSupported,
}


def refusal(status: int, message: str | Parts) -> LocalexaError:
    """The error of a request refused with `status` before any handler saw it (also the wire
    refusals of cli/wire.py: a head too large or too slow, a request that is not HTTP, a method
    nobody here knows, an HTTP version other than 1.x).

    A `str` message is localexa's own text, all of it (LWA's error_description spells its `§` as
    `section`): one that quotes a value of the request comes as parts, the value `Sent`
    (core/message_parts.py). The wire's text quotes a method only, an RFC 9110 token (ASCII
    letters, digits and `!#$%&'*+-.^_`|~`), which reads the same either way."""
    return _REFUSALS.get(status, BadRequest)(message)
