"""The kit's outbound HTTP clients: one short-lived client per call, so the kit works under any
event loop (a Lambda-style call may bring a fresh loop each time), sharing one TLS context,
since building that context is the costly part (about 40 ms; the client itself is cheap)."""

from __future__ import annotations

import ssl
from functools import cache
from pathlib import Path

import httpx


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def new_client(transport: httpx.AsyncBaseTransport | None, timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, timeout=timeout, verify=_tls())


def trust_ca_file(path: str | Path) -> None:
    """Also trust this PEM CA bundle for the kit's calls made in this process (a local LWA and
    event gateway over HTTPS: `localexa serve --tls` adds its own CA for the demo's My Lights)."""
    _tls().load_verify_locations(cafile=str(path))


def failure_text(error: httpx.HTTPError) -> str:
    """Why a call got no answer, for the kit's errors and logs: the httpx error's type name, or,
    when the server's TLS certificate is not trusted, that (with OpenSSL's reason) and the fix.
    Until 2026-12-06 an untrusted CA read only "ConnectError", like a server that is down."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _untrusted(error, cause.verify_message or str(cause))
        cause = cause.__cause__ or cause.__context__
    if "CERTIFICATE_VERIFY_FAILED" in str(error):  # httpx's own text, when it kept no cause
        return _untrusted(error, str(error))
    return type(error).__name__


def _untrusted(error: httpx.HTTPError, reason: str) -> str:
    return (
        f"{type(error).__name__}: TLS certificate verify failed ({reason}): this process does not "
        "trust the server's CA; call localexa.skill.http.trust_ca_file(<its ca.pem>)"
    )
