"""A TLS handshake with a server that speaks no TLS, in words: shared by the client and the skill
kit, which import neither each other nor the server (the server words its own outbound calls in
server/core/outbound_failures.py, with the same NOT_TLS). Until 2026-12-06 the client kept this
in client/_tls.py, and the skill kit said only "ConnectError" for an https:// URL of a
plain-HTTP server, like a server that is down (rev4 QA)."""

from __future__ import annotations

import ssl

__all__ = ["NOT_TLS", "UNTRUSTED_ISSUER", "certificate_failure", "plain_http_hint", "plain_http_reason"]

#: OpenSSL's reasons for a server whose first bytes were no TLS record (1.1.1/3.0
#: WRONG_VERSION_NUMBER, 3.2+ RECORD_LAYER_FAILURE, older HTTP_REQUEST / UNKNOWN_PROTOCOL): most
#: often a plain-HTTP server behind an `https://` URL, answering the ClientHello with a 400.
NOT_TLS = frozenset(
    {
        "WRONG_VERSION_NUMBER",
        "RECORD_LAYER_FAILURE",
        "HTTP_REQUEST",
        "UNKNOWN_PROTOCOL",
        "PACKET_LENGTH_TOO_LONG",
    }
)


def plain_http_reason(exc: BaseException) -> str | None:
    """OpenSSL's reason in words (`wrong version number`) when `exc` was caused by a TLS handshake
    with a server that spoke no TLS: an https:// URL of a localexa started without --tls read
    OpenSSL's raw `[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)` until
    2026-12-06 (rev3 QA)."""
    cause: BaseException | None = exc
    for _ in range(10):
        if cause is None:
            return None
        if isinstance(cause, ssl.SSLError) and isinstance(cause.reason, str) and cause.reason in NOT_TLS:
            return cause.reason.lower().replace("_", " ")
        cause = cause.__cause__ or cause.__context__
    return None


def plain_http_hint(reason: str) -> str:
    """What a failed handshake with `reason` (plain_http_reason's) means and how to fix it."""
    return (
        f"TLS handshake failed ({reason}): is the server serving plain HTTP? (started without "
        "--tls) Use an http:// URL for it."
    )


#: OpenSSL's verify results that trusting the right CA fixes: 18 self-signed certificate, 19
#: self-signed certificate in the chain, 20 unable to get the local issuer, 21 unable to verify
#: the first certificate. Not a wrong host name (62) or IP address (64), nor an expired one (10).
UNTRUSTED_ISSUER = frozenset({18, 19, 20, 21})


def certificate_failure(exc: BaseException) -> tuple[str, bool] | None:
    """OpenSSL's reason when `exc` is (or was caused by) a failed verification of the remote's
    TLS certificate, and whether trusting its CA would fix it; None for any other failure.

    A certificate of a CA localexa does not trust read "could not be reached (ConnectError)",
    in the server's log and journal, like a port nobody listens on (QA of 2026-12-06); shared
    with the client and the skill kit since that evening."""
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause.verify_message or str(cause), cause.verify_code in UNTRUSTED_ISSUER
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return None
