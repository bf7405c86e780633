"""URLs whose host no HTTP client can send, and what localexa says of each (localexa/idna_hosts.py):
shared by the client's, the CLI's and the skill kit's tests, which hold all three to the server's
words (tests/directives/test_unusable_endpoint_urls.py)."""

from __future__ import annotations

NOT_IDNA = "its host is not a domain name IDNA 2008 takes (RFC 5891)"
EMPTY_LABEL = "its host has an empty label (two dots in a row, or a dot first)"
LONG_LABEL = "its host has a label longer than 63 characters (RFC 1035 §2.3.4)"
LEADING_ZERO = (
    "its host is an IPv4 address with a leading zero, and leading zeros in an IPv4 address are "
    "refused: some parsers read them as octal (010 is 8), others as decimal"
)
PART_OVER_255 = "its host is a dotted quad with a part over 255, and an IPv4 address's parts are 0-255"
NUMBER_LAST = (
    "its host ends in a number, which URL parsers read as an IPv4 address, and it is not one "
    "(four parts, each 0-255)"
)

#: (URL, why): a bare UnicodeError at the first call, idna's IDNAError, a DNS lookup or the wrong
#: reason ("no query or fragment") until the revB QA of 2026-12-06.
UNSENDABLE = [
    ("http://a..b/", EMPTY_LABEL),
    ("http://.a:8080", EMPTY_LABEL),
    (f"http://{'a' * 64}/", LONG_LABEL),
    ("http://xn--", NOT_IDNA),
    ("http://xn--/", NOT_IDNA),
    ("http://a.xn--/", NOT_IDNA),
    ("http://A.XN--:8080", NOT_IDNA),
    ("http://\u2603.com/", NOT_IDNA),
    ("http://xn--n3h.com/", NOT_IDNA),
    # Said only "is not a valid URL" (httpx's refusal) until the night of 2026-12-06.
    ("http://1.2.3.04/", LEADING_ZERO),
    ("http://010.0.0.1:8080", LEADING_ZERO),
    # Said only "is not a valid URL" (the Python client and the CLI "must be an http(s) URL with no
    # query or fragment") until the night of 2026-12-06.
    ("http://999.1.1.1/", PART_OVER_255),
    ("http://1.2.3.256:8080", PART_OVER_255),
    (f"http://{'9' * 20}.0.0.1", PART_OVER_255),
    # With a fully qualified name's trailing dot, or a host that ends in a number but is no dotted
    # quad, these went to DNS (re-verification of the night of 2026-12-06).
    ("http://1.2.3.04./", LEADING_ZERO),
    ("http://999.1.1.1.:8080", PART_OVER_255),
    ("http://1.2.3.4.5/", NUMBER_LAST),
    ("http://a.123/", NUMBER_LAST),
    ("http://0x7f.1/", NUMBER_LAST),
    ("http://127.1:8080", NUMBER_LAST),
]

#: Hosts every client sends (the shared rule lets them through): an IPv6 literal whose last part is
#: an IPv4 address was refused as "ends in a number" for an hour on the night of 2026-12-06.
SENDABLE = [
    "http://[::ffff:127.0.0.1]:8080",
    "http://[::ffff:1.2.3.4]/",
    "http://[64:ff9b::192.0.2.1]/",
    "http://[::1.2.3.4]/",
    "http://[::1]:8080",
    "http://127.0.0.1:8080",
    "http://localhost:8080",
    "http://example.com./",
    "http://v2.api.example.com/",
    "http://123.example.com/",
    "http://1password.com/",
    "http://0.0.0.0:8080",
    "http://host.docker.internal:8080",
]
