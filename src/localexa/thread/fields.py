"""Checks for each Thread network credential, as OpenThread defines it: the one source of truth.

The Credential Locker server, the client and the CLI all validate through these functions, so a
value one accepts the others accept too. Limits come from OpenThread `include/openthread/dataset.h`
(`OT_NETWORK_KEY_SIZE` 16, `OT_NETWORK_NAME_MAX_SIZE` 16, `OT_EXT_PAN_ID_SIZE` 8,
`OT_PSKC_MAX_SIZE` 16) and IEEE 802.15.4 (2.4 GHz channels 11–26 on page 0; PAN ID 0xffff is the
broadcast id, so it cannot name a network).

Every check takes the JSON value, returns it normalized (hex in lower case, no `0x`) and raises
`InvalidField`, whose message names the field by its Credential Locker JSON name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

#: JSON names of the Credential Locker `threadNetwork` object (seed: Credential Locker REST API).
EXTENDED_PAN_ID = "extendedPanId"
NETWORK_NAME = "networkName"
NETWORK_KEY = "networkKey"
PSKC = "pskc"
PAN_ID = "panId"
CHANNEL_NUMBER = "channelNumber"
DEFAULT_BORDER_AGENT_ID = "defaultBorderAgentId"

NETWORK_KEY_BYTES = 16
PSKC_BYTES = 16
EXTENDED_PAN_ID_BYTES = 8
NETWORK_NAME_MAX_BYTES = 16
PAN_ID_BYTES = 2
BROADCAST_PAN_ID = 0xFFFF
MIN_CHANNEL = 11
MAX_CHANNEL = 26
#: A Thread 1.3 Border Agent ID is 16 bytes; older border agents used other sizes, so 1–32 bytes.
BORDER_AGENT_ID_MAX_BYTES = 32

_HEX = re.compile(r"[0-9a-fA-F]*")
#: How many unknown field names a message shows, and how much of each: the names are the client's
#: text, any number and any length (20,000 of them made a 780 KB answer; QA of 2026-12-07).
_NAMES_SHOWN = 5
_NAME_CHARS = 40


class InvalidField(ValueError):
    """A credential that breaks OpenThread's rules; `field` is its JSON name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def listed_names(names: Sequence[str]) -> str:
    """The first few of `names`, each cut to `_NAME_CHARS` characters, and how many more."""
    shown = [name if len(name) <= _NAME_CHARS else f"{name[:_NAME_CHARS]}…" for name in names[:_NAMES_SHOWN]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" (and {more} more)" if more else "")


def _text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidField(field, f"{field} must be a string.")
    return value


def _hex_bytes(field: str, value: object, *, size: int | None = None, max_size: int | None = None) -> str:
    text = _text(field, value)
    if text[:2].lower() == "0x":
        text = text[2:]
    if size is not None:
        wanted = f"{size} bytes ({2 * size} hex digits)"
    else:
        wanted = f"1 to {max_size} bytes of hex (an even number of hex digits)"
    if not text or _HEX.fullmatch(text) is None or len(text) % 2:
        raise InvalidField(field, f"{field} must be {wanted}.")
    length = len(text) // 2
    if (size is not None and length != size) or (max_size is not None and length > max_size):
        raise InvalidField(field, f"{field} must be {wanted}; got {length} bytes.")
    return text.lower()


def check_network_key(value: object) -> str:
    """The 16-byte network key (Thread MeshCoP Network Key TLV, type 5)."""
    return _hex_bytes(NETWORK_KEY, value, size=NETWORK_KEY_BYTES)


def check_pskc(value: object) -> str:
    """The 16-byte PSKc, the stretched commissioning credential (PSKc TLV, type 4)."""
    return _hex_bytes(PSKC, value, size=PSKC_BYTES)


def check_extended_pan_id(value: object) -> str:
    """The 8-byte extended PAN ID (Extended PAN ID TLV, type 2)."""
    return _hex_bytes(EXTENDED_PAN_ID, value, size=EXTENDED_PAN_ID_BYTES)


def check_network_name(value: object) -> str:
    """1–16 bytes of UTF-8 (Network Name TLV, type 3); kept exactly as given."""
    text = _text(NETWORK_NAME, value)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate from a JSON "\ud800" escape
        raise InvalidField(NETWORK_NAME, f"{NETWORK_NAME} must be valid UTF-8.") from None
    if not 1 <= size <= NETWORK_NAME_MAX_BYTES:
        raise InvalidField(
            NETWORK_NAME,
            f"{NETWORK_NAME} must be 1 to {NETWORK_NAME_MAX_BYTES} bytes of UTF-8; got {size} bytes.",
        )
    return text


def check_pan_id(value: object) -> str:
    """The 2-byte PAN ID as 4 hex digits (`0x` allowed); not ffff, the broadcast PAN ID."""
    text = _hex_bytes(PAN_ID, value, size=PAN_ID_BYTES)
    if int(text, 16) == BROADCAST_PAN_ID:
        raise InvalidField(PAN_ID, f"{PAN_ID} must not be ffff, the broadcast PAN ID.")
    return text


def check_channel_number(value: object) -> int:
    """An IEEE 802.15.4 2.4 GHz channel, 11–26 (channel page 0), as a JSON integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField(CHANNEL_NUMBER, f"{CHANNEL_NUMBER} must be an integer.")
    if not MIN_CHANNEL <= value <= MAX_CHANNEL:
        raise InvalidField(
            CHANNEL_NUMBER, f"{CHANNEL_NUMBER} must be between {MIN_CHANNEL} and {MAX_CHANNEL}; got {value}."
        )
    return value


def check_border_agent_id(value: object) -> str:
    """The border agent's id as hex (16 bytes for Thread 1.3 border agents)."""
    return _hex_bytes(DEFAULT_BORDER_AGENT_ID, value, max_size=BORDER_AGENT_ID_MAX_BYTES)


#: Every field of the Credential Locker `threadNetwork` object and its check.
CHECKS: dict[str, Callable[[object], str | int]] = {
    EXTENDED_PAN_ID: check_extended_pan_id,
    NETWORK_NAME: check_network_name,
    NETWORK_KEY: check_network_key,
    PSKC: check_pskc,
    PAN_ID: check_pan_id,
    CHANNEL_NUMBER: check_channel_number,
    DEFAULT_BORDER_AGENT_ID: check_border_agent_id,
}
#: The fields a PUT must carry (seed: "Required: Yes").
REQUIRED: tuple[str, ...] = (EXTENDED_PAN_ID, NETWORK_NAME, NETWORK_KEY)


def check_thread_network(network: object) -> dict[str, str | int]:
    """Validate a whole `threadNetwork` object: required fields present, no unknown ones, each
    field by its check. Returns the normalized object (fields absent or null are left out)."""
    if not isinstance(network, dict):
        raise InvalidField("threadNetwork", "threadNetwork must be a JSON object.")
    unknown = sorted(str(name) for name in network if name not in CHECKS)
    if unknown:
        raise InvalidField(unknown[0], f"threadNetwork has unknown field(s): {listed_names(unknown)}.")
    for name in REQUIRED:
        if network.get(name) is None:
            raise InvalidField(name, f"{name} is required.")
    return {name: CHECKS[name](value) for name, value in network.items() if value is not None}
