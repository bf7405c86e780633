"""The host `GET /v1/alexaApiEndpoint` may name: the request's `Host` header, read by one rule.

The answer is an address a client prefixes with `https://`, so a `Host` it follows must be a host
and nothing else: a host name of RFC 1123 labels (1 to 63 letters, digits and hyphens, neither
first nor last; `_` too, which Docker and Windows host names carry; 253 characters at most; one
trailing dot, a fully qualified name, is the same host), an IPv4 address, or an IPv6 address in
brackets; then an optional port from 1 to 65535. Anything else is a 400 (README "Customer: find
the endpoint"): the request guard refuses only what RFC 9112 §3.2's grammar does, which lets
`a..b`, `-foo.com`, a 64-character label or port 0 through, and these were quietly answered with
the listening host.
"""

from __future__ import annotations

import ipaddress
import re

from localexa.server.core.errors import BadRequest

_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_DOTTED_NUMBERS = re.compile(r"[0-9]+(?:\.[0-9]+)*")
MAX_NAME = 253
MAX_PORT = 65535


def _refused(value: str) -> BadRequest:
    shown = value[:100]
    return BadRequest(
        f"The Host header {shown!r} is not a host[:port]: a host name (labels of 1 to 63 letters, "
        "digits and hyphens, no hyphen first or last), an IPv4 address or a bracketed IPv6 "
        f"address, then an optional port from 1 to {MAX_PORT}."
    )


def _is_name(name: str) -> bool:
    if _DOTTED_NUMBERS.fullmatch(name):  # 999.1.1.1 is no address, and no name either
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
        if name and not (bare and _is_name(bare)):
            raise _refused(request_host)
        host, after = (bare.lower() or None), colon + port
    port = after.removeprefix(":")
    if after and (not after.startswith(":") or not _is_port(port)):
        raise _refused(request_host)
    return host


def _is_port(port: str) -> bool:
    """RFC 3986 allows an empty port (the scheme's own); a number must name a port (1-65535)."""
    if port == "":
        return True
    return len(port) <= 5 and port.isascii() and port.isdigit() and 1 <= int(port) <= MAX_PORT
