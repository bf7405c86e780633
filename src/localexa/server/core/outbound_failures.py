"""Why an outbound call failed, in words a developer can act on (core/http.py)."""

from __future__ import annotations

import ssl

from localexa.tls_failures import NOT_TLS, certificate_failure


def failure_reason(exc: BaseException, *, answering: int | None = None) -> str:
    """What went wrong, in words: a remote that took the request and hung up without an answer was
    said to be one that "could not be reached" (httpx calls both a RemoteProtocolError).

    `answering` is the status of the answer whose head had arrived when the call failed: a reset
    then broke off an answer under way (since 2026-12-06 it was said to come "before answering")."""
    import httpx  # loaded already: the caller caught one of its errors (core/http.py loads it lazily)

    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc)
        if "without sending a response" in text:
            return "closed the connection without answering"
        if "without sending complete message body" in text:
            return "closed the connection before its answer was complete"
        return "did not answer in valid HTTP"
    verify = certificate_failure(exc)
    if verify is not None:
        reason, untrusted = verify
        if untrusted:
            return (
                f"presented a TLS certificate localexa does not trust ({reason}): name the CA that "
                "signed it with --outbound-ca-file (LOCALEXA_OUTBOUND_CA_FILE)"
            )
        return f"presented a TLS certificate that failed verification ({reason})"
    handshake = handshake_failure(exc)
    if handshake is not None:
        reason, not_tls = handshake
        if not_tls:
            return (
                f"did not complete a TLS handshake ({reason}): is it serving plain HTTP? "
                "An https:// URL needs a TLS server; use http:// for a plain one"
            )
        return f"did not complete a TLS handshake ({reason})"
    if isinstance(exc, httpx.ReadError):
        if answering is not None:
            return f"broke the connection off after answering {answering}, before its answer was complete"
        return "broke the connection off before answering"
    return "could not be reached"


def handshake_failure(exc: BaseException) -> tuple[str, bool] | None:
    """OpenSSL's reason, in words, when `exc` is (or was caused by) a TLS handshake that failed for
    another reason than the certificate's verification, and whether the remote spoke no TLS at
    all; None for any other failure.

    An `https://` URL of a plain-HTTP server read "could not be reached (ConnectError)", like a
    port nobody listens on (re-verification of 2026-12-06)."""
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, ssl.SSLError) and not isinstance(cause, ssl.SSLCertVerificationError):
            code = cause.reason if isinstance(cause.reason, str) else None
            reason = code.lower().replace("_", " ") if code else str(cause)
            return reason, code in NOT_TLS
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return None


def journal_error(exc: BaseException) -> str:
    """The journal's `error` of an outbound call that got no answer: the error's type name, and
    for a certificate that failed verification OpenSSL's reason too
    (`ConnectError: TLS certificate verify failed (self-signed certificate in certificate chain)`,
    as the skill kit says it: localexa/skill/http.py), and for another failed handshake its reason
    (`ConnectError: TLS handshake failed (wrong version number)`)."""
    verify = certificate_failure(exc)
    name = type(exc).__name__
    if verify is not None:
        return f"{name}: TLS certificate verify failed ({verify[0]})"
    handshake = handshake_failure(exc)
    return name if handshake is None else f"{name}: TLS handshake failed ({handshake[0]})"
