"""The host `GET /v1/alexaApiEndpoint` may name: the request's `Host` header, read by one rule.

The answer is an address a client prefixes with `https://`, so a `Host` it follows must be a host
and nothing else: a host name of RFC 1123 labels (1 to 63 letters, digits and hyphens, neither
first nor last; `_` too, which Docker and Windows host names carry; 253 characters at most; one
trailing dot, a fully qualified name, is the same host; its last label not a number, all digits
or `0x` hex, for then it is an attempt at an IPv4 address as RFC 1123 §2.1 and the WHATWG URL
standard read it: `0x7f.1` is 127.0.0.1 to a browser and `a.123` no URL at all), an IPv4 address
(dotted quad, no part with a leading zero, which some parsers read as octal, and no part over 255:
the 400 says so), or
an IPv6 address in brackets; then an optional port from 1 to 65535, leading
zeros allowed (RFC 3986's `port = *DIGIT`: `021700` is 21700 to browsers, curl and Python's
urllib alike). Anything else is a 400 (README "Customer: find
the endpoint"): the request guard refuses only what RFC 9112 §3.2's grammar does, which lets
`a..b`, `-foo.com`, a 64-character label or port 0 through, and these were quietly answered with
the listening host.
"""

from __future__ import annotations

import ipaddress
import re

from localexa.idna_hosts import (
    IPV4_LEADING_ZEROS,
    IPV4_PARTS,
    NUMBER_LAST_WHY,
    ipv4_part_over_255,
    leading_zero_ipv4,
    number_last_not_ipv4,
)
from localexa.server.core.errors import BadRequest

_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
#: A label WHATWG's "ends in a number" checker reads as a number: decimal, or `0x` and hex digits.
_NUMBER = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")
MAX_NAME = 253
MAX_PORT = 65535


def _refused(value: str) -> BadRequest:
    shown = value[:100]
    return BadRequest(
        f"The Host header {shown!r} is not a host[:port]: a host name (labels of 1 to 63 letters, "
        "digits, hyphens and underscores, no hyphen first or last, the last label not a number), "
        f"an IPv4 address or a bracketed IPv6 address, then an optional port from 1 to {MAX_PORT}."
    )


def _leading_zeros(value: str) -> BadRequest:
    """`1.2.3.04` was refused in the words above, which did not say what was wrong with it
    (localexa/idna_hosts.py says why it names no one address)."""
    return BadRequest(f"The Host header {value[:100]!r} is not a host[:port]: {IPV4_LEADING_ZEROS}.")


def _part_over_255(value: str) -> BadRequest:
    """`999.1.1.1` likewise, in the words outbound URLs use for it (localexa/idna_hosts.py)."""
    return BadRequest(f"The Host header {value[:100]!r} is not a host[:port]: {IPV4_PARTS}.")


def _number_last(value: str) -> BadRequest:
    """`a.123`, `127.1`, `1.2.3.4.5` likewise (they were refused in the words above)."""
    return BadRequest(f"The Host header {value[:100]!r} is not a host[:port]: it {NUMBER_LAST_WHY}.")


def _is_name(name: str) -> bool:
    if _NUMBER.fullmatch(name.rsplit(".", 1)[-1]):  # an IPv4 attempt: 999.1.1.1, 0x7f.1, a.123
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            return False
        return True
    return len(name) <= MAX_NAME and all(_LABEL.fullmatch(label) for label in name.split("."))


def _is_ipv6(literal: str) -> bool:
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return True


def host_of(request_host: str | None) -> str | None:
    """The host of a `Host` header (`name[:port]` or `[IPv6][:port]`), lower case; None when the
    header is missing or names no host (`:8080`, RFC 3986's empty reg-name): the listening host
    is named then. A `Host` that is no host by the module's rule is a 400."""
    if not request_host:
        return None
    host: str | None
    if request_host.startswith("["):
        end = request_host.find("]")
        if end < 0 or not _is_ipv6(request_host[1:end]):
            raise _refused(request_host)
        host, after = f"[{request_host[1:end].lower()}]", request_host[end + 1 :]
    else:
        name, colon, port = request_host.partition(":")
        # One trailing dot is a fully qualified name (`api.eu.amazonalexa.com.`), the same host.
        bare = name[:-1] if name.endswith(".") and not name.endswith("..") else name
        if leading_zero_ipv4(bare):
            raise _leading_zeros(request_host)
        if ipv4_part_over_255(bare):
            raise _part_over_255(request_host)
        if bare and number_last_not_ipv4(bare):
            raise _number_last(request_host)
        if name and not (bare and _is_name(bare)):
            raise _refused(request_host)
        host, after = (bare.lower() or None), colon + port
    port = after.removeprefix(":")
    if after and (not after.startswith(":") or not _is_port(port)):
        raise _refused(request_host)
    return host


def _is_port(port: str) -> bool:
    """RFC 3986 allows an empty port (the scheme's own); a number must name a port (1-65535),
    written with leading zeros or not, as the request guard takes it (core/request_guard.py)."""
    if port == "":
        return True
    digits = port.lstrip("0")
    return port.isascii() and port.isdigit() and len(digits) <= 5 and 1 <= int(digits or "0") <= MAX_PORT
