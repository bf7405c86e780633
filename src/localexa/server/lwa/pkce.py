"""Proof Key for Code Exchange (RFC 7636).

LWA documents `S256` (recommended) and `plain`, and `plain` when `code_challenge_method` is
absent (RFC 7636 §4.3; LWA authorization-code-grant page).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

S256 = "S256"
PLAIN = "plain"
METHODS = (S256, PLAIN)
DEFAULT_METHOD = PLAIN

#: RFC 7636 §4.1: code_verifier = 43*128 unreserved characters (a plain challenge is the same).
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
#: §4.2: BASE64URL(SHA256(verifier)) without padding is always 43 characters.
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")


def valid_challenge(challenge: str, method: str) -> bool:
    if method == S256:
        return bool(_S256_CHALLENGE.fullmatch(challenge))
    return bool(_VERIFIER.fullmatch(challenge))


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636 §4.6: transform the verifier by `method` and compare with the stored challenge."""
    if not _VERIFIER.fullmatch(verifier):
        return False
    derived = s256_challenge(verifier) if method == S256 else verifier
    return hmac.compare_digest(derived.encode(), challenge.encode())
