"""The PSKc: a Thread network's commissioning passphrase stretched into a 16-byte key.

Thread 1.3 spec §8.4.1.2.2: PSKc = PBKDF2(PRF = AES-CMAC-PRF-128, P = passphrase,
S = "Thread" || extended PAN ID || network name, c = 16384, dkLen = 128 bits). AES-CMAC-PRF-128
is RFC 4615: a key that is not 16 bytes is first reduced to AES-CMAC(0^128, key). Test vectors
are OpenThread's PSKc generator examples (openthread.io, border router tools).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC

from localexa.thread.fields import InvalidField, check_extended_pan_id, check_network_name

ITERATIONS = 16384
_SALT_PREFIX = b"Thread"
PASSPHRASE_MIN_BYTES = 6
PASSPHRASE_MAX_BYTES = 255


def _aes_cmac(key: bytes, message: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(message)
    return mac.finalize()


def compute_pskc(passphrase: str, extended_pan_id: str, network_name: str) -> str:
    """The PSKc (32 hex digits) of a commissioning passphrase for a network."""
    secret = passphrase.encode("utf-8")
    if not PASSPHRASE_MIN_BYTES <= len(secret) <= PASSPHRASE_MAX_BYTES:
        raise InvalidField(
            "passphrase",
            f"passphrase must be {PASSPHRASE_MIN_BYTES} to {PASSPHRASE_MAX_BYTES} bytes of UTF-8.",
        )
    salt = (
        _SALT_PREFIX
        + bytes.fromhex(check_extended_pan_id(extended_pan_id))
        + check_network_name(network_name).encode("utf-8")
    )
    # RFC 4615 §3: the PRF key is the passphrase, reduced to 16 bytes by one CMAC under zeros.
    key = secret if len(secret) == 16 else _aes_cmac(bytes(16), secret)
    # PBKDF2 (RFC 8018 §5.2) with a 16-byte output: a single block, T_1 = U_1 ^ ... ^ U_c.
    block = _aes_cmac(key, salt + (1).to_bytes(4, "big"))
    result = int.from_bytes(block, "big")
    for _ in range(ITERATIONS - 1):
        block = _aes_cmac(key, block)
        result ^= int.from_bytes(block, "big")
    return result.to_bytes(16, "big").hex()
