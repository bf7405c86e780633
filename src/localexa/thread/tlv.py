"""MeshCoP TLVs, the wire format of a Thread Operational Dataset (Thread 1.3 spec §8.10).

Each TLV is one type byte, one length byte, then the value. A length byte of 0xff announces an
extended TLV whose length follows in two bytes (big-endian); no Active Dataset TLV needs it, but
parsing it keeps unknown TLVs intact. A TLV parsed in that form is written back in it, even when
its length fits one byte, so an unknown TLV round-trips byte for byte (a known one becomes a field
of `ThreadDataset`, written in the short form). This is the hex that `ot-ctl dataset active -x`,
the OTBR REST API (`/node/dataset/active`, text/plain) and Home Assistant's Thread store exchange.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

_EXTENDED_LENGTH = 0xFF
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
#: The whitespace `bytes.fromhex` skips between bytes: ASCII's only (a no-break space is no digit).
_WHITESPACE = str.maketrans("", "", " \t\n\r\v\f")


class TlvType(enum.IntEnum):
    """The MeshCoP TLV types of an Active Operational Dataset (python-otbr-api `tlv_parser.py`)."""

    CHANNEL = 0
    PAN_ID = 1
    EXTENDED_PAN_ID = 2
    NETWORK_NAME = 3
    PSKC = 4
    NETWORK_KEY = 5
    MESH_LOCAL_PREFIX = 7
    SECURITY_POLICY = 12
    ACTIVE_TIMESTAMP = 14
    CHANNEL_MASK = 53


class TlvError(ValueError):
    """Hex that is not a well-formed TLV sequence, or a TLV whose value breaks its type's rules."""


@dataclass(frozen=True)
class Tlv:
    type: int
    value: bytes
    #: Whether the length was written in the extended form (0xff, then two bytes) though it is under
    #: 255: a parsed TLV is encoded again as it came, so an unknown one round-trips byte for byte.
    #: Not part of equality: it changes how the TLV is written, not what it says.
    extended_length: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.type <= 0xFF:
            raise TlvError(f"TLV type {self.type} does not fit in one byte.")
        if len(self.value) > 0xFFFF:
            raise TlvError(f"TLV {self.type} is longer than 65535 bytes.")

    def encode(self) -> bytes:
        size = len(self.value)
        if size < _EXTENDED_LENGTH and not self.extended_length:
            return bytes((self.type, size)) + self.value
        return bytes((self.type, _EXTENDED_LENGTH)) + size.to_bytes(2, "big") + self.value


def hex_to_bytes(text: str) -> bytes:
    """Dataset hex as exported, in either case, to bytes. Whitespace may stand around it and between
    any two bytes (`0e08 0000…`, a line wrapped by a terminal or a person), as `bytes.fromhex`
    takes it; not inside a byte."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    # Say what is wrong, counting digits only (whitespace between bytes is no digit).
    digits = text.translate(_WHITESPACE)
    bad = next((c for c in digits if c not in _HEX_DIGITS), None)
    if bad is not None:
        raise TlvError(f"The dataset is not hex: {bad!r} is not a hex digit (only 0-9 and a-f are allowed).")
    if len(digits) % 2:
        raise TlvError(f"The dataset hex has an odd number of digits ({len(digits)}).")
    # Every digit is hex and their number even: whitespace splits a byte (`0 e08`).
    raise TlvError(
        "The dataset hex has whitespace inside a byte: spaces and line breaks may only stand "
        "between pairs of digits."
    )


def parse_tlvs(data: bytes) -> list[Tlv]:
    """Split `data` into TLVs in their order; a truncated TLV is an error."""
    tlvs: list[Tlv] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise TlvError(f"The dataset ends inside the header of a TLV at byte {offset}.")
        kind, size = data[offset], data[offset + 1]
        offset += 2
        extended = size == _EXTENDED_LENGTH
        if extended:
            if offset + 2 > len(data):
                raise TlvError(f"TLV {kind} announces an extended length but the dataset ends.")
            size = int.from_bytes(data[offset : offset + 2], "big")
            offset += 2
        if offset + size > len(data):
            raise TlvError(
                f"TLV {kind} says it has {size} bytes but only {len(data) - offset} remain in the dataset."
            )
        tlvs.append(Tlv(kind, data[offset : offset + size], extended_length=extended))
        offset += size
    return tlvs


def encode_tlvs(tlvs: Iterable[Tlv]) -> bytes:
    return b"".join(tlv.encode() for tlv in tlvs)
