"""What the clients trust over HTTPS: `verify=` and `ca_file=` as one SSL setting, checked where
they are given (kept apart from _client.py, which builds the clients from it), and the TLS
handshake failure that means the server speaks plain HTTP (localexa/tls_failures.py, which the
skill kit shares; _core.py words its connection error)."""

from __future__ import annotations

import functools
import os
import ssl

from localexa.client._errors import CaFileError, ConfigurationError
from localexa.tls_failures import plain_http_reason  # shared with the skill kit

__all__ = ["CaPath", "VerifyArg", "default_trust", "plain_http_reason", "ssl_verify", "tls_options_given"]

#: A path is text, bytes or a path object (`os.fspath` takes each; ssl reads bytes as the file
#: system's encoding).
CaPath = str | bytes | os.PathLike[str] | os.PathLike[bytes]
#: None is the default, True (httpx read it so too), said since 2026-12-06.
VerifyArg = bool | CaPath | ssl.SSLContext | None

#: What `verify=` takes, as its errors say.
_VERIFY_KINDS = "True (or None: the same), False, the path of a CA file or an ssl.SSLContext"


def ssl_verify(verify: VerifyArg, ca_file: CaPath | None) -> bool | ssl.SSLContext:
    """`ca_file` (or a path as `verify`) trusts that CA, e.g. localexa's `<data dir>/tls/ca.pem`.

    A bytes path is a path as text is (since 2026-12-06: `verify=b"ca.pem"` went to httpx as it
    was, and the first call raised AttributeError); anything else but a bool, None or an
    SSLContext is a ConfigurationError here, not an AttributeError at the first HTTPS call.
    `ca_file=` goes only with `verify=True` (the default) or None: since 2026-12-06 any other
    `verify=` with it is a ConfigurationError (it was ignored, so `verify=False, ca_file=…` quietly
    checked certificates)."""
    if verify is not None and not isinstance(verify, bool | str | bytes | os.PathLike | ssl.SSLContext):
        raise ConfigurationError(f"verify must be {_VERIFY_KINDS}, not {type(verify).__name__}")
    if ca_file is not None and verify is not True and verify is not None:
        raise ConfigurationError(_conflict(verify))
    if ca_file is None:
        if not isinstance(verify, str | bytes | os.PathLike):
            return default_trust() if verify is None or verify is True else verify
        ca_file = verify
    if not isinstance(ca_file, str | bytes | os.PathLike):
        raise ConfigurationError(
            f"ca_file must be a path (str, bytes or os.PathLike), not {type(ca_file).__name__}"
        )
    path = os.fspath(ca_file)
    shown = os.fsdecode(path)  # the name as text: "b'/x/ca.pem'" named no file a person knows
    if not path:  # ssl reads "" as no file at all, and trusted the system's CAs without a word
        raise CaFileError("''", "the path is empty")
    try:
        return ssl.create_default_context(cafile=path)
    except OSError as exc:  # ssl.SSLError is one
        reason = getattr(exc, "reason", None) or exc.strerror or str(exc)
        raise CaFileError(shown, str(reason)) from None


def default_trust() -> ssl.SSLContext:
    """What httpx trusts for `verify=True` (`SSL_CERT_FILE`, else `SSL_CERT_DIR`, else certifi's
    bundle), built once a process for each of those settings: httpx built it for every client,
    ~33 ms of reading certifi's ~140 CAs, where the client itself costs ~5 (2026-12-08). A context
    is safe to share between clients: none of them adds to it."""
    return _trust_for(os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None)


@functools.cache
def _trust_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    if cert_file is not None:
        return ssl.create_default_context(cafile=cert_file)
    if cert_dir is not None:
        return ssl.create_default_context(capath=cert_dir)
    import certifi  # httpx's own dependency

    return ssl.create_default_context(cafile=certifi.where())


def tls_options_given(verify: VerifyArg, ca_file: CaPath | None) -> list[str]:
    """`verify=` and `ca_file=`, those of them given something but their defaults (for the error
    of `http_client=` beside them: the client sends through it as it is)."""
    given = []
    if verify is not True and verify is not None:
        given.append("verify")
    if ca_file is not None:
        given.append("ca_file")
    return given


def _conflict(verify: bool | CaPath | ssl.SSLContext) -> str:
    """Why `verify=` cannot go with `ca_file=` (a path is not shown: `ca_file=` names it)."""
    if verify is False:
        given, why = "verify=False", "verify=False checks no certificate, ca_file= checks them against its CA"
    elif isinstance(verify, ssl.SSLContext):
        given, why = (
            "verify=<ssl.SSLContext>",
            "the context decides what is trusted, ca_file= would be ignored",
        )
    else:
        given, why = "verify=<a CA file>", "each names a CA to trust"
    return (
        f"{given} and ca_file= conflict: {why}. Pass one of them; with ca_file=, verify= may only be "
        "True (the default) or None."
    )
