"""Signed strings (page tokens, signed form fields) made invalid for tests, reliably."""

from __future__ import annotations


def tampered(token: str) -> str:
    """`token` with the character in its middle replaced by another one.

    Not by editing its end: the last character of a base64 signature may carry only padding bits
    that decoding drops, and the replacement may equal what was there, so `token[:-2] + "xx"`
    sometimes is still the valid token (a CI run failed that way). A middle character carries
    full bits (or is a separator), so the result is always a different string no signature
    covers."""
    middle = len(token) // 2
    replacement = "A" if token[middle] != "A" else "B"
    return token[:middle] + replacement + token[middle + 1 :]
