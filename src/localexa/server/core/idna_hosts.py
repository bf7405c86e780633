"""Whether the host of an outbound URL (a skill endpoint, an account-linking token URL) is one
localexa's HTTP client can send: the one rule core/http.py `_checked_url` holds every call to.

httpx sends a non-ASCII host encoded by the `idna` package (IDNA 2008, RFC 5891) and refuses one
that does not encode; an ASCII host it sends as written, and decodes (`URL.host`) only when the
whole host begins with `xn--`. So `http://xn--/` was refused, while `http://a.xn--/`, a broken
A-label that is not the first, went to DNS, and `http://☃.com/` (a name IDNA 2003 took, IDNA 2008
does not) was refused, but its own A-label form `http://xn--n3h.com/`'s second label would not
have been (rev5 QA). The rule here: every label of the host must encode and decode under IDNA
2008 as httpx does it; a host that does not is refused before any connection or DNS lookup,
with one wording wherever the URL is called (`invalid_url_reason`).
"""

from __future__ import annotations

from urllib.parse import urlsplit


def bad_idna_host(host: str) -> bool:
    """Whether `host` (as the URL writes it; an IP literal passes) has a label IDNA 2008 refuses:
    a non-ASCII name that does not encode (what httpx would send), or an `xn--` label, in any
    letter case and in any place, that does not decode to a name IDNA 2008 takes."""
    if not host or host.startswith("["):
        return False
    # Loaded with httpx, at the first outbound call, not at start (core/http.py's module doc).
    import idna

    try:
        ascii_host = host if host.isascii() else idna.encode(host.lower()).decode("ascii")
        for label in ascii_host.lower().split("."):
            if label.startswith("xn--"):
                idna.decode(label)
    except UnicodeError:  # idna.IDNAError is one
        return True
    return False


def invalid_url_reason(url: str, shown: str) -> str:
    """What an outbound call says of `url` (written `shown`, without its password) when it cannot
    be sent: the same words for a skill endpoint and a token URL, and for a host that breaks
    IDNA 2008 whether httpx refused it (`☃.com`, `xn--`) or would have sent it (`a.xn--`)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # an unbalanced IPv6 bracket
        host = ""
    if bad_idna_host(host):
        return f"{shown} is not a valid URL: its host is not a domain name IDNA 2008 takes (RFC 5891)"
    return f"{shown} is not a valid URL"
