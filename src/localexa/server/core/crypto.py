"""Secrets at rest: keyed hashes for what is only compared, AES-GCM for what must be read back.

- Tokens, authorization codes and client secrets are stored as HMAC-SHA256 under a key derived
  from the server secret, and compared with `hmac.compare_digest`.
- Secrets localexa must send again later (linked refresh tokens, network keys, PSKc, skill
  messaging client secrets) are sealed with AES-256-GCM; the row's identity is bound as
  associated data so a ciphertext copied to another row does not open.
- Customer passwords use scrypt, a deliberately slow hash. Its 16 MiB work buffer goes back to
  the OS after each hash (`native_memory.hand_back_large_blocks`), not into an arena per thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from localexa.server.core.native_memory import hand_back_large_blocks

_NONCE_BYTES = 12

#: What `SecretBox.hash_token` writes: a SHA-256 HMAC's hex digest, 64 lower-case hex digits.
#: Restore holds the keyed-hash columns to it (observe/snapshot_rows.py).
KEYED_HASH = re.compile(r"[0-9a-f]{64}")


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, b"localexa:" + purpose, hashlib.sha256).digest()


def _scrypt(password: str, salt: bytes, n: int) -> bytes:
    hand_back_large_blocks()
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)


class NotOpened(ValueError):
    """A sealed value this key does not open: sealed under another key, or damaged. A ValueError,
    as `open` raised before; its own class so that a caller can tell it from the other
    ValueErrors of its work (directives/service.py answers it as a key mismatch, 409)."""


class SecretBox:
    """Hashing and sealing under keys derived from one server secret."""

    def __init__(self, secret: bytes, *, password_hash_n: int = 2**14) -> None:
        self._hash_key = _derive(secret, b"hash")
        self._aead = AESGCM(_derive(secret, b"aes-gcm"))
        self._password_n = password_hash_n
        #: Whether this key is known to be the one its database was written with. False only while
        #: a database from before localexa recorded its key has not confirmed it (since 2026-12-06,
        #: lwa/key_confirmation.py): nothing is then hashed or sealed under it into the database.
        #: A plain attribute: the token checks read it on every lookup past their cache.
        self.key_confirmed = True
        # Set as the server starts (create_app makes its box), so any large buffer is handed back.
        hand_back_large_blocks()

    def hash_token(self, value: str) -> str:
        """Keyed hash of a token or secret, as stored in the database."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def verify_token(self, value: str, stored_hash: str) -> bool:
        # Bytes, not text: `compare_digest` raises TypeError on a str with a non-ASCII character,
        # and a stored hash restored as "\u0661" made every token request of its client a 500
        # (until 2026-12-07, fuzz37 F2). "surrogatepass": a lone surrogate encodes too.
        return hmac.compare_digest(
            self.hash_token(value).encode(), stored_hash.encode("utf-8", "surrogatepass")
        )

    def seal(self, plaintext: str, *, context: str = "") -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str, *, context: str = "") -> str:
        """Decrypt what `seal` produced; raises ValueError when tampered or under another key."""
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise NotOpened("sealed value does not open under this key") from exc

    def hash_password(self, password: str) -> str:
        salt = os.urandom(16)
        digest = _scrypt(password, salt, self._password_n)
        return f"scrypt${self._password_n}${salt.hex()}${digest.hex()}"

    @staticmethod
    def verify_password(password: str, stored: str) -> bool:
        try:
            _, n, salt_hex, digest_hex = stored.split("$")
            digest = _scrypt(password, bytes.fromhex(salt_hex), int(n))
        except (ValueError, TypeError):  # TypeError: an n below 0 or past 2**64 (hashlib's check)
            return False
        # Bytes, as in verify_token: a non-ASCII digest made the sign-in a 500.
        return hmac.compare_digest(digest.hex().encode(), digest_hex.encode("utf-8", "surrogatepass"))


def random_token(prefix: str, length: int = 48) -> str:
    """An opaque, URL-safe random token with Amazon's prefix (`Atza|`, `Atzr|`, ...)."""
    return prefix + secrets.token_urlsafe(length)
