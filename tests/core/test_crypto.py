"""The secret box's promises (core/crypto.py), each by what an attacker holding the database or a
sealed value could otherwise do: fresh nonces and salts, keyed hashes, sealed values that open
under their own key and context only, and comparisons of the whole value."""

from __future__ import annotations

import base64
import hashlib

import pytest

from localexa.server.core.crypto import KEYED_HASH, NotOpened, SecretBox

NONCE_BYTES = 12  # AES-GCM's standard nonce, at the head of every sealed value


def _box(secret: bytes = b"k" * 32) -> SecretBox:
    return SecretBox(secret, password_hash_n=1024)


def test_every_seal_takes_a_fresh_nonce() -> None:
    """AES-GCM under one key with a nonce used twice leaks the XOR of the plaintexts and lets the
    authentication key be recovered: two seals of one value must not share a nonce."""
    box = _box()
    sealed = [box.seal("network key", context="row-1") for _ in range(3)]
    nonces = {base64.urlsafe_b64decode(s)[:NONCE_BYTES] for s in sealed}
    assert len(nonces) == 3
    assert len(set(sealed)) == 3
    assert all(box.open(s, context="row-1") == "network key" for s in sealed)


def test_a_sealed_value_opens_under_its_own_key_and_context_only() -> None:
    box = _box()
    sealed = box.seal("secret", context="enablement:1:refresh")
    assert box.open(sealed, context="enablement:1:refresh") == "secret"
    with pytest.raises(NotOpened):
        box.open(sealed, context="enablement:2:refresh")
    with pytest.raises(NotOpened):
        box.open(sealed)  # no context at all
    with pytest.raises(NotOpened):
        _box(b"another key").open(sealed, context="enablement:1:refresh")
    raw = bytearray(base64.urlsafe_b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(NotOpened):
        box.open(base64.urlsafe_b64encode(bytes(raw)).decode(), context="enablement:1:refresh")


def test_token_hashes_are_keyed_by_the_server_secret() -> None:
    """Without the server secret the stored hash of a token cannot be computed, so a copy of the
    database does not let anyone test guesses (a plain SHA-256 would)."""
    token = "Atza|IwEBIExample"
    one, same, other = _box().hash_token(token), _box().hash_token(token), _box(b"other").hash_token(token)
    assert one == same
    assert one != other
    assert one != hashlib.sha256(token.encode()).hexdigest()
    assert KEYED_HASH.fullmatch(one)


def test_a_token_matches_its_whole_hash_only() -> None:
    box = _box()
    stored = box.hash_token("Atzr|refresh")
    assert box.verify_token("Atzr|refresh", stored)
    last = "0" if stored[-1] != "0" else "1"
    assert not box.verify_token("Atzr|refresh", stored[:-1] + last)
    assert not box.verify_token("Atzr|refresh", stored[:32])
    assert not box.verify_token("Atzr|refresh", stored + "0")
    assert not box.verify_token("Atzr|refresh2", stored)


def test_every_password_hash_takes_a_fresh_salt() -> None:
    """Two customers with one password get different hashes: equal hashes would show who shares
    a password, and one precomputed table would serve every row."""
    box = _box()
    first, second = box.hash_password("correct horse"), box.hash_password("correct horse")
    assert first != second
    assert first.split("$")[2] != second.split("$")[2]
    assert box.verify_password("correct horse", first)
    assert box.verify_password("correct horse", second)


def test_a_password_matches_its_whole_digest_only() -> None:
    box = _box()
    stored = box.hash_password("pw")
    scheme, n, salt, digest = stored.split("$")
    assert (scheme, n) == ("scrypt", "1024")  # the work factor asked for is the one recorded
    assert not box.verify_password("pw2", stored)
    last = "0" if digest[-1] != "0" else "1"
    assert not box.verify_password("pw", f"{scheme}${n}${salt}${digest[:-1]}{last}")
    assert not box.verify_password("pw", f"{scheme}${n}${salt}${digest[:16]}")
    assert not box.verify_password("pw", f"{stored}00")
