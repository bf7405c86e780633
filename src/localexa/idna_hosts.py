"""Whether the host of a URL is one an HTTP client can send, in one rule and one wording: for
the server's outbound calls (skill endpoints, account-linking token URLs: server/core/http.py),
the client's and the CLI's base URL (client/_endpoints.py) and the skill kit's LWA and event
gateway URLs (skill/http.py). Neutral, as tls_failures.py is: the client and the skill kit import
no server code (until 2026-12-06 this rule lived in server/core/idna_hosts.py, and the client and
the kit let these hosts through to a bare UnicodeError, idna's IDNAError or DNS: revB QA).

httpx sends a non-ASCII host encoded by the `idna` package (IDNA 2008, RFC 5891) and refuses one
that does not encode; an ASCII host it sends as written, and decodes (`URL.host`) only when the
whole host begins with `xn--`. So `http://xn--/` was refused, while `http://a.xn--/`, a broken
A-label that is not the first, went to DNS, and `http://☃.com/` (a name IDNA 2003 took, IDNA 2008
does not) was refused, but its own A-label form `http://xn--n3h.com/`'s second label would not
have been (rev5 QA). An empty label (`a..b`) or one over 63 characters passed httpx and failed in
the socket layer's `idna` codec with "label empty or too long" (a UnicodeError, no
connection error). The rule here: every label of the host is 1 to 63 characters (one trailing
dot, a fully qualified name, is allowed) and encodes and decodes under IDNA 2008 as httpx does
it; a host that does not is refused before any connection or DNS lookup (`host_fault`).

A dotted quad with a leading zero in a part (`1.2.3.04`) is refused with why (since the night of
2026-12-06 it read only "… is not a valid URL", httpx's refusal): some parsers read such a part as
octal (`010` is 8: inet_aton, WHATWG URL parsers), others as decimal, and Python's own
`ipaddress` refuses it, so it names no one address. The customer endpoint's `Host` rule refuses it
in the same words (server/enablement/endpoint_host.py). So is a dotted quad with a part over 255
(`999.1.1.1`: "… an IPv4 address's parts are 0-255"; it too read only "… is not a valid URL", and
the Python client's and the CLI's "must be an http(s) URL with no query or fragment"). Both hold
with a fully qualified name's trailing dot (`1.2.3.04.`), and a host that ends in a number but is
no dotted quad (`1.2.3.4.5`, `a.123`, `0x7f.1`, `127.1`) is refused as an attempt at an IPv4
address that is not one (they went to DNS: re-verification of the night of 2026-12-06).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = [
    "IPV4_LEADING_ZEROS",
    "IPV4_PARTS",
    "NUMBER_LAST_WHY",
    "host_fault",
    "invalid_url_reason",
    "ipv4_part_over_255",
    "leading_zero_ipv4",
    "number_last_not_ipv4",
    "url_host_fault",
]

#: RFC 1035 §2.3.4: a label is at most 63 octets.
MAX_LABEL = 63
NOT_IDNA = "its host is not a domain name IDNA 2008 takes (RFC 5891)"
EMPTY_LABEL = "its host has an empty label (two dots in a row, or a dot first)"
LONG_LABEL = f"its host has a label longer than {MAX_LABEL} characters (RFC 1035 §2.3.4)"
#: Why an IPv4 address with a leading zero is refused, here and at the customer endpoint's `Host`.
IPV4_LEADING_ZEROS = (
    "leading zeros in an IPv4 address are refused: some parsers read them as octal (010 is 8), "
    "others as decimal"
)
LEADING_ZERO_IPV4 = f"its host is an IPv4 address with a leading zero, and {IPV4_LEADING_ZEROS}"
#: Why a dotted quad with a part over 255 is refused, here and at the customer endpoint's `Host`.
IPV4_PARTS = "an IPv4 address's parts are 0-255"
IPV4_PART_OVER_255 = f"its host is a dotted quad with a part over 255, and {IPV4_PARTS}"
#: Why a host that ends in a number but is no IPv4 address is refused (`1.2.3.4.5`, `a.123`).
NUMBER_LAST_WHY = (
    "ends in a number, which URL parsers read as an IPv4 address, and it is not one (four parts, each 0-255)"
)
NUMBER_LAST = f"its host {NUMBER_LAST_WHY}"
_DOTTED_QUAD = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
#: A label WHATWG's "ends in a number" checker reads as a number: decimal, or `0x` and hex digits.
_NUMBER = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")


def leading_zero_ipv4(host: str) -> bool:
    """Whether `host` is a dotted quad of decimal parts one of which has a leading zero (`04`),
    with or without the trailing dot of a fully qualified name (`1.2.3.04.`: re-verification of
    the night of 2026-12-06 found it went to DNS)."""
    host = host.removesuffix(".")
    return bool(_DOTTED_QUAD.fullmatch(host)) and any(
        len(part) > 1 and part.startswith("0") for part in host.split(".")
    )


def ipv4_part_over_255(host: str) -> bool:
    """Whether `host` is a dotted quad of decimal parts one of which is over 255 (`999.1.1.1`):
    httpx refuses it as an IPv4 address, and it is no host name either (its last label is a number)."""
    host = host.removesuffix(".")
    # Length first: int() refuses a part of over 4,300 digits with a ValueError (CVE-2020-10735).
    return bool(_DOTTED_QUAD.fullmatch(host)) and any(
        len(part.lstrip("0")) > 3 or int(part) > 255 for part in host.split(".")
    )


def number_last_not_ipv4(host: str) -> bool:
    """Whether `host`'s last label is a number (decimal, or `0x` hex) while the host is no IPv4
    address in four decimal parts: `1.2.3.4.5`, `a.123`, `0x7f.1`, `127.1`. URL parsers read such a
    host as an attempt at an IPv4 address (WHATWG's "ends in a number"), the libc resolver reads
    some of them as one (`127.1` is 127.0.0.1 to inet_aton) and the rest went to DNS; the customer
    endpoint's `Host` rule refuses them too (server/enablement/endpoint_host.py)."""
    name = host.removesuffix(".")
    if not _NUMBER.fullmatch(name.rsplit(".", 1)[-1]):
        return False
    parts = name.split(".")
    return not (len(parts) == 4 and all(part.isascii() and part.isdigit() for part in parts))


def _ascii_host(host: str) -> str | None:
    """`host` as httpx sends it (IDNA 2008 for a non-ASCII one), lower case; None when any label
    IDNA 2008 refuses: a non-ASCII name that does not encode, or an `xn--` label, in any letter
    case and in any place, that does not decode to a name IDNA 2008 takes."""
    # Loaded with the first URL checked, not at import (the server's core/http.py module doc).
    import idna

    try:
        ascii_host = host.lower() if host.isascii() else idna.encode(host.lower()).decode("ascii")
        for label in ascii_host.split("."):
            if label.startswith("xn--"):
                idna.decode(label)
    except UnicodeError:  # idna.IDNAError is one
        return None
    return ascii_host


def host_fault(host: str) -> str | None:
    """Why `host` (as the URL writes it, without brackets' contents checked: an IP literal passes)
    cannot be sent, in words that follow "is not a valid URL: " (`its host …`); None when it can."""
    if not host or host.startswith("[") or ":" in host:
        # An IPv6 literal, with or without its brackets (`urlsplit(...).hostname` drops them): its
        # last part may be an IPv4 address (`::ffff:127.0.0.1`), which the rules below would read as
        # a name ending in a number (re-verification of the night of 2026-12-06). httpx checks it.
        return None
    if leading_zero_ipv4(host):
        return LEADING_ZERO_IPV4
    if ipv4_part_over_255(host):
        return IPV4_PART_OVER_255
    if number_last_not_ipv4(host):
        return NUMBER_LAST
    ascii_host = _ascii_host(host)
    if ascii_host is None:
        return NOT_IDNA
    labels = ascii_host.removesuffix(".").split(".")
    if any(not label for label in labels):
        return EMPTY_LABEL
    if any(len(label) > MAX_LABEL for label in labels):
        return LONG_LABEL
    return None


def _host(url: str) -> str:
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:  # an unbalanced IPv6 bracket: the caller's own parser words that
        return ""


def url_host_fault(url: str) -> str | None:
    """`host_fault` of the host `url` names (none for a URL with no host, or one that does not
    split: the caller's own checks word those)."""
    return host_fault(_host(url))


def invalid_url_reason(url: str, shown: str) -> str:
    """What an outbound call says of `url` (written `shown`, without its password) when it cannot
    be sent: the same words for a skill endpoint, a token URL, a client's base URL and the skill
    kit's LWA, whether httpx refused the host (`☃.com`, `xn--`) or would have sent it (`a.xn--`)."""
    fault = url_host_fault(url)
    return f"{shown} is not a valid URL: {fault}" if fault else f"{shown} is not a valid URL"
