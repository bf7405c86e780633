"""The kit's outbound HTTP clients: one short-lived client per call, so the kit works under any
event loop (a Lambda-style call may bring a fresh loop each time), sharing one TLS context,
since building that context is the costly part (about 40 ms; the client itself is cheap)."""

from __future__ import annotations

import ssl
from functools import cache
from pathlib import Path

import httpx

from localexa.httpx_userinfo import userinfo_as_auth
from localexa.idna_hosts import invalid_url_reason, url_host_fault
from localexa.tls_failures import UNTRUSTED_ISSUER, plain_http_hint, plain_http_reason
from localexa.url_passwords import without_password

MAX_PORT = 65535


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def new_client(transport: httpx.AsyncBaseTransport | None, timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, timeout=timeout, verify=_tls())


def trust_ca_file(path: str | Path) -> None:
    """Also trust this PEM CA bundle for the kit's calls made in this process (a local LWA and
    event gateway over HTTPS: `localexa serve --tls` adds its own CA for the demo's My Lights)."""
    _tls().load_verify_locations(cafile=str(path))


def sent_url(url: str, auth: httpx.Auth | None = None) -> tuple[httpx.URL, httpx.Auth]:
    """The URL a call sends to and the auth it sends with: its user info as basic auth, out of
    the URL httpx logs (localexa/httpx_userinfo.py)."""
    target, auth = userinfo_as_auth(httpx.URL(url), auth)
    # httpx.Auth() sends nothing, as httpx does for a URL without user info and no auth given.
    return target, auth or httpx.Auth()


def unsendable_url(url: str) -> str | None:
    """Why `url` cannot be sent, in the words the server and the client use for its host
    (`… is not a valid URL: its host is not a domain name IDNA 2008 takes (RFC 5891)`), or None:
    `http://xn--` raised idna's IDNAError out of the kit, and `http://a..b` said only
    "ConnectError" (revB QA). Checked before the call; no connection or DNS lookup is made.

    So is a URL httpx refuses for another reason (`http://[::1`, a control character, a lone
    surrogate: `… is not a valid URL`) and one whose port no socket takes (`… names the port 99999,
    which is not 1-65535`, the server's words in server/core/http.py): httpx's InvalidURL, a bare
    UnicodeEncodeError and the socket layer's OverflowError in an ExceptionGroup escaped the code
    exchange and the gateway's send as themselves until the night of 2026-12-06."""
    if url_host_fault(url) is not None:
        return invalid_url_reason(url, repr(_without_password(url)))
    try:
        port = httpx.URL(url).port
    except (httpx.InvalidURL, ValueError):  # UnicodeEncodeError is a ValueError; InvalidURL is not
        return not_a_url(url)
    # httpx keeps a port past 65535 (and -1): the socket layer raised OverflowError at connect.
    if port is not None and not 0 < port <= MAX_PORT:
        return f"{_without_password(url)!r} names the port {port}, which is not 1-{MAX_PORT}"
    return None


def not_a_url(url: str) -> str:
    """What the kit says of a URL httpx refuses for another reason than its host (`http://[::1`, a
    NUL), in the same words, without its password."""
    return invalid_url_reason(url, repr(_without_password(url)))


def shown_url(url: str) -> str:
    """`url` as the kit writes it in its errors and logs: without its password (`user:***@`), and
    quoted (repr), so a control character in it (a NUL, a line break) cannot forge a log line."""
    return repr(_without_password(url))


def _without_password(url: str) -> str:
    """`url` with everything that may be its user info's password as `***` (localexa/url_passwords.py).

    Until the night of 2026-12-06 a user without one (`http://user@host/`) showed as `user:***@`
    and a password holding an `@` showed its end (lead's QA). The fix then looked for the user
    info in the authority as parsed, which a password holding an unescaped `#`, `?` or `/` ends
    early: `http://me:pa#ss@host` stood in clear in the kit's log saying it is not a valid URL
    (re-verification E1). The password now runs from the first `:` after the scheme to the
    URL's last `@`, found by text."""
    return without_password(url)


_UNTRUSTED_TEXTS = ("self-signed certificate", "unable to get local issuer", "unable to verify the first")


def failure_text(error: httpx.HTTPError) -> str:
    """Why a call got no answer, for the kit's errors and logs: the httpx error's type name, or,
    when the server's TLS certificate failed verification, that with OpenSSL's reason, and the
    fix when the CA is what is not trusted; when the server spoke no TLS (an https:// URL of a
    plain-HTTP server), the client's words for that. Until 2026-12-06 an untrusted CA read only
    "ConnectError", like a server that is down; and for part of that day every verify failure,
    a wrong host name or an expired certificate too, said to trust the CA."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or str(cause)
            return _verify_failed(error, reason, untrusted=cause.verify_code in UNTRUSTED_ISSUER)
        cause = cause.__cause__ or cause.__context__
    plain = plain_http_reason(error)
    if plain is not None:  # an https:// URL of a plain-HTTP server, worded as the client words it
        return f"{type(error).__name__}: {plain_http_hint(plain)}"
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text:  # httpx's own text, when it kept no cause
        return _verify_failed(error, text, untrusted=any(t in text for t in _UNTRUSTED_TEXTS))
    return type(error).__name__


def _verify_failed(error: httpx.HTTPError, reason: str, *, untrusted: bool) -> str:
    text = f"{type(error).__name__}: TLS certificate verify failed ({reason})"
    if not untrusted:
        return text
    fix = "call localexa.skill.http.trust_ca_file(<its ca.pem>)"
    return f"{text}: this process does not trust the server's CA; {fix}"
