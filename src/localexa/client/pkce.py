"""PKCE (RFC 7636) and the LWA authorization URL (spec alexa-api-surface.md §3 "/ap/oa").

The verifier is 64 characters of the RFC 7636 §4.1 unreserved alphabet (43-128 allowed); the
challenge is `BASE64URL(SHA256(verifier))` without padding (§4.2, method `S256`).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable
from urllib.parse import quote, urlencode

from localexa.client._errors import ConfigurationError
from localexa.client.types.lwa import AuthorizationRequest

__all__ = [
    "build_authorization_url",
    "check_code_verifier",
    "code_challenge_s256",
    "generate_code_verifier",
    "generate_state",
]

AUTHORIZE_PATH = "/ap/oa"

#: RFC 7636 §4.1: `code-verifier = 43*128unreserved`, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def generate_code_verifier(length: int = 64) -> str:
    """A fresh high-entropy `code_verifier` (RFC 7636 §4.1)."""
    if not 43 <= length <= 128:
        raise ConfigurationError("RFC 7636 §4.1: a code_verifier has 43 to 128 characters.")
    return secrets.token_urlsafe(length)[:length]


def check_code_verifier(verifier: str) -> str:
    """`verifier` if it is an RFC 7636 §4.1 code_verifier (43-128 unreserved characters), else
    ConfigurationError (a ValueError): the server would refuse it only at the code exchange, after
    the customer signed in."""
    if not _VERIFIER.fullmatch(verifier):
        raise ConfigurationError(
            "RFC 7636 §4.1: a code_verifier has 43 to 128 characters of A-Z a-z 0-9 - . _ ~ "
            f"(this one has {len(verifier)} characters)."
        )
    return verifier


def code_challenge_s256(verifier: str) -> str:
    """`BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def generate_state() -> str:
    """An unguessable `state` for CSRF protection (RFC 6749 §10.12)."""
    return secrets.token_urlsafe(24)


def build_authorization_url(
    authorize_base: str,
    *,
    client_id: str,
    scope: str | Iterable[str],
    redirect_uri: str,
    state: str | None = None,
    pkce: bool = True,
    code_verifier: str | None = None,
) -> AuthorizationRequest:
    """`GET /ap/oa?client_id&scope&response_type=code&redirect_uri&state&code_challenge&...`."""
    scopes = scope if isinstance(scope, str) else " ".join(scope)
    state = state or generate_state()
    params = {
        "client_id": client_id,
        "scope": scopes,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": state,
    }
    verifier: str | None = None
    if pkce:
        verifier = generate_code_verifier() if code_verifier is None else check_code_verifier(code_verifier)
        params["code_challenge"] = code_challenge_s256(verifier)
        params["code_challenge_method"] = "S256"
    url = f"{authorize_base.rstrip('/')}{AUTHORIZE_PATH}?{urlencode(params, quote_via=quote)}"
    return AuthorizationRequest(url=url, state=state, code_verifier=verifier)
