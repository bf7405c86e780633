"""A Thread Active Operational Dataset, to and from the TLV hex border routers export, and to and
from the Credential Locker's `threadNetwork` JSON.

Border routers hand datasets around as MeshCoP TLV hex (`ot-ctl dataset active -x`, OTBR REST
`/node/dataset/active`, Home Assistant's Thread panel); the Credential Locker speaks JSON
(seed: Credential Locker REST API reference). `ThreadDataset` sits between them:

    hex  --from_tlv_hex-->  ThreadDataset  --to_credential_locker-->  JSON
    hex  <--to_tlv_hex----  ThreadDataset  <--from_credential_locker--  JSON

Round trips keep every value: TLVs this module does not know (e.g. 74, the wake-up channel) are
kept byte for byte, and the TLV order of a parsed dataset is kept; a known TLV written with the
extended length form (`35ff0006…`) is written back with the short one (`3506…`), the same
value (review of 2026-12-07: "exact" was not so). Every field is checked by
`localexa.thread.fields`, the same checks the server applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from localexa.thread import fields as f
from localexa.thread.tlv import Tlv, TlvError, TlvType, encode_tlvs, hex_to_bytes, parse_tlvs

_MAX_SECONDS = (1 << 48) - 1
_MAX_TICKS = (1 << 15) - 1
#: OpenThread's defaults for what the Credential Locker JSON does not carry (see `with_defaults`).
DEFAULT_MESH_LOCAL_PREFIX = "fddead00beef0000"  # fdde:ad00:beef:0::/64
DEFAULT_SECURITY_POLICY = "02a0f7f8"  # key rotation 672 h, the flags OpenThread sets by default
DEFAULT_CHANNEL_MASK = "0004001fffe0"  # page 0, channels 11-26
#: What `with_defaults` fills, by field, as a person reads it: `localexa thread export` names what
#: it filled (the values are OpenThread's, not the network's; a border router may differ).
DEFAULT_DESCRIPTIONS = {
    "active_timestamp": "active timestamp 1",
    "mesh_local_prefix": "mesh-local prefix fdde:ad00:beef:0::/64",
    "security_policy": f"security policy {DEFAULT_SECURITY_POLICY}",
    "channel_mask": "channel mask 11-26",
}


@dataclass(frozen=True)
class ActiveTimestamp:
    """Active Timestamp TLV (type 14): 48-bit seconds, 15-bit ticks of 1/32768 s, and the U bit
    (authoritative: set when the time came from a trusted clock)."""

    seconds: int
    ticks: int = 0
    authoritative: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.seconds <= _MAX_SECONDS or not 0 <= self.ticks <= _MAX_TICKS:
            raise TlvError("Active Timestamp: seconds must fit in 48 bits and ticks in 15 bits.")

    def to_bytes(self) -> bytes:
        return ((self.seconds << 16) | (self.ticks << 1) | int(self.authoritative)).to_bytes(8, "big")

    @classmethod
    def from_bytes(cls, value: bytes) -> ActiveTimestamp:
        if len(value) != 8:
            raise TlvError(f"Active Timestamp TLV must be 8 bytes; got {len(value)}.")
        number = int.from_bytes(value, "big")
        return cls(seconds=number >> 16, ticks=(number >> 1) & _MAX_TICKS, authoritative=bool(number & 1))


#: What `with_defaults` fills, by field (DEFAULT_DESCRIPTIONS says the same in words: change both
#: together), and each field's name in a sentence.
_DEFAULT_VALUES: dict[str, object] = {
    "mesh_local_prefix": DEFAULT_MESH_LOCAL_PREFIX,
    "security_policy": DEFAULT_SECURITY_POLICY,
    "active_timestamp": ActiveTimestamp(seconds=1),
    "channel_mask": DEFAULT_CHANNEL_MASK,
}
_FIELD_NAMES = {
    "mesh_local_prefix": "mesh-local prefix",
    "security_policy": "security policy",
    "active_timestamp": "active timestamp",
    "channel_mask": "channel mask",
}


def _hex_of(value: str | None, size: int | None, name: str) -> str | None:
    if value is None:
        return None
    text = value.lower()
    if not text or len(text) % 2 or any(c not in "0123456789abcdef" for c in text):
        raise TlvError(f"{name} must be non-empty hex.")
    if size is not None and len(text) != 2 * size:
        raise TlvError(f"{name} must be {size} bytes; got {len(text) // 2}.")
    return text


@dataclass(frozen=True)
class ThreadDataset:
    """An Active Operational Dataset. Hex fields are lower-case hex strings without `0x`."""

    network_name: str | None = None
    extended_pan_id: str | None = None
    #: Secrets: left out of the repr so they never reach a log.
    network_key: str | None = field(default=None, repr=False)
    pskc: str | None = field(default=None, repr=False)
    pan_id: int | None = None
    channel: int | None = None
    channel_page: int = 0
    mesh_local_prefix: str | None = None
    security_policy: str | None = None
    active_timestamp: ActiveTimestamp | None = None
    channel_mask: str | None = None
    #: TLVs of other types, kept byte for byte.
    extra_tlvs: tuple[Tlv, ...] = ()
    #: The TLV types in the order they were parsed; `to_tlv_hex` follows it.
    tlv_order: tuple[int, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalize once, here
        if self.network_name is not None:
            f.check_network_name(self.network_name)
        if self.extended_pan_id is not None:
            set_(self, "extended_pan_id", f.check_extended_pan_id(self.extended_pan_id))
        if self.network_key is not None:
            set_(self, "network_key", f.check_network_key(self.network_key))
        if self.pskc is not None:
            set_(self, "pskc", f.check_pskc(self.pskc))
        if self.pan_id is not None:
            f.check_pan_id(f"{self.pan_id:04x}" if 0 <= self.pan_id <= 0xFFFF else "")
        if self.channel is not None:
            f.check_channel_number(self.channel)
        if self.channel_page != 0:
            raise f.InvalidField(f.CHANNEL_NUMBER, "Only channel page 0 (2.4 GHz) is supported.")
        set_(self, "mesh_local_prefix", _hex_of(self.mesh_local_prefix, 8, "Mesh-local prefix"))
        set_(self, "security_policy", _hex_of(self.security_policy, None, "Security policy"))
        set_(self, "channel_mask", _hex_of(self.channel_mask, None, "Channel mask"))
        if self.security_policy is not None and len(self.security_policy) < 6:
            raise TlvError("Security Policy TLV must be at least 3 bytes (rotation time and flags).")
        known = {int(t) for t in TlvType}
        for tlv in self.extra_tlvs:
            if tlv.type in known:
                raise TlvError(f"TLV {tlv.type} is a known type; set its field instead of extra_tlvs.")
        if len({tlv.type for tlv in self.extra_tlvs}) != len(self.extra_tlvs):
            raise TlvError("extra_tlvs holds a TLV type twice; a dataset carries each TLV once.")
        # In the order `to_tlvs` writes them, so that a dataset equals the one its hex parses to.
        set_(self, "extra_tlvs", tuple(sorted(self.extra_tlvs, key=self._tlv_sort_key())))

    # -- TLV hex -------------------------------------------------------------------------------

    @classmethod
    def from_tlv_hex(cls, text: str) -> ThreadDataset:
        """Parse the hex of `dataset active -x`; raises TlvError naming the bad TLV."""
        tlvs = parse_tlvs(hex_to_bytes(text))
        seen: set[int] = set()
        values: dict[str, Any] = {}
        extra: list[Tlv] = []
        for tlv in tlvs:
            if tlv.type in seen:
                raise TlvError(f"TLV {tlv.type} appears twice in the dataset.")
            seen.add(tlv.type)
            try:
                _decode_into(values, extra, tlv)
            except f.InvalidField as exc:
                raise TlvError(f"{_tlv_name(tlv.type)} TLV: {exc.message}") from None
        try:
            return cls(**values, extra_tlvs=tuple(extra), tlv_order=tuple(t.type for t in tlvs))
        except f.InvalidField as exc:
            raise TlvError(exc.message) from None

    def to_tlvs(self) -> list[Tlv]:
        tlvs = [tlv for tlv in self._known_tlvs() if tlv is not None] + list(self.extra_tlvs)
        return sorted(tlvs, key=self._tlv_sort_key())

    def _tlv_sort_key(self) -> Callable[[Tlv], tuple[int, int]]:
        position = {kind: index for index, kind in enumerate(self.tlv_order)}
        # Parsed order first; anything added since goes after it, by type (OpenThread's order).
        return lambda t: (position.get(t.type, len(position)), t.type)

    def to_tlv_hex(self) -> str:
        return encode_tlvs(self.to_tlvs()).hex()

    def _known_tlvs(self) -> list[Tlv | None]:
        def opt(kind: TlvType, value: bytes | None) -> Tlv | None:
            return None if value is None else Tlv(kind, value)

        def hx(value: str | None) -> bytes | None:
            return None if value is None else bytes.fromhex(value)

        channel = None
        if self.channel is not None:
            channel = bytes((self.channel_page,)) + self.channel.to_bytes(2, "big")
        return [
            opt(TlvType.CHANNEL, channel),
            opt(TlvType.PAN_ID, None if self.pan_id is None else self.pan_id.to_bytes(2, "big")),
            opt(TlvType.EXTENDED_PAN_ID, hx(self.extended_pan_id)),
            opt(TlvType.NETWORK_NAME, None if self.network_name is None else self.network_name.encode()),
            opt(TlvType.PSKC, hx(self.pskc)),
            opt(TlvType.NETWORK_KEY, hx(self.network_key)),
            opt(TlvType.MESH_LOCAL_PREFIX, hx(self.mesh_local_prefix)),
            opt(TlvType.SECURITY_POLICY, hx(self.security_policy)),
            opt(
                TlvType.ACTIVE_TIMESTAMP,
                None if self.active_timestamp is None else self.active_timestamp.to_bytes(),
            ),
            opt(TlvType.CHANNEL_MASK, hx(self.channel_mask)),
        ]

    # -- Credential Locker JSON ----------------------------------------------------------------

    @classmethod
    def from_credential_locker(cls, network: Mapping[str, object]) -> ThreadDataset:
        """A dataset from a `threadNetwork` object (checked as the server checks it).
        `defaultBorderAgentId` is not part of a dataset and is dropped."""
        checked = f.check_thread_network(dict(network))
        pan_id = checked.get(f.PAN_ID)
        channel = checked.get(f.CHANNEL_NUMBER)
        return cls(
            network_name=str(checked[f.NETWORK_NAME]),
            extended_pan_id=str(checked[f.EXTENDED_PAN_ID]),
            network_key=str(checked[f.NETWORK_KEY]),
            pskc=None if f.PSKC not in checked else str(checked[f.PSKC]),
            pan_id=None if pan_id is None else int(str(pan_id), 16),
            channel=None if channel is None else int(channel),
        )

    def to_credential_locker(self, *, border_agent_id: str | None = None) -> dict[str, str | int]:
        """The `threadNetwork` object for `PUT /credentiallocker/v2/threadNetworks`."""
        missing = [
            name
            for name, value in (
                (f.EXTENDED_PAN_ID, self.extended_pan_id),
                (f.NETWORK_NAME, self.network_name),
                (f.NETWORK_KEY, self.network_key),
            )
            if value is None
        ]
        if missing:
            raise f.InvalidField(missing[0], f"The dataset has no {', '.join(missing)}.")
        network: dict[str, str | int] = {
            f.EXTENDED_PAN_ID: str(self.extended_pan_id),
            f.NETWORK_NAME: str(self.network_name),
            f.NETWORK_KEY: str(self.network_key),
        }
        if self.pskc is not None:
            network[f.PSKC] = self.pskc
        if self.pan_id is not None:
            network[f.PAN_ID] = f"{self.pan_id:04x}"
        if self.channel is not None:
            network[f.CHANNEL_NUMBER] = self.channel
        if border_agent_id is not None:
            network[f.DEFAULT_BORDER_AGENT_ID] = f.check_border_agent_id(border_agent_id)
        return network

    def with_defaults(self) -> ThreadDataset:
        """Fill what a border router needs but the Credential Locker JSON lacks, with OpenThread's
        defaults: active timestamp 1 s (not authoritative, as Google's builder), mesh-local prefix
        fdde:ad00:beef:0::/64, security policy, channel mask 11-26. PAN ID and channel must be set."""
        if self.pan_id is None or self.channel is None:
            raise f.InvalidField(
                f.PAN_ID if self.pan_id is None else f.CHANNEL_NUMBER,
                "A complete dataset needs panId and channelNumber.",
            )
        filled: dict[str, Any] = {
            name: getattr(self, name) or default for name, default in _DEFAULT_VALUES.items()
        }
        return replace(self, **filled)

    def lost_in_credential_locker(self) -> list[str]:
        """What `to_credential_locker` loses, by name: the Credential Locker's JSON has no field for
        the mesh-local prefix, security policy, active timestamp, channel mask or any other TLV,
        and an export puts OpenThread's defaults in their place (only for a complete dataset:
        with panId and channelNumber); a value equal to its default comes back as it was."""
        complete = self.pan_id is not None and self.channel is not None
        lost = [
            _FIELD_NAMES[name]
            for name, default in _DEFAULT_VALUES.items()
            if (value := getattr(self, name)) is not None and not (complete and value == default)
        ]
        return lost + [f"TLV type {tlv.type}" for tlv in self.extra_tlvs]

    def missing_defaults(self) -> list[str]:
        """What `with_defaults` would fill in, described (DEFAULT_DESCRIPTIONS); empty when the
        dataset carries all four itself."""
        return [text for name, text in DEFAULT_DESCRIPTIONS.items() if getattr(self, name) is None]


_NAMES = {
    TlvType.CHANNEL: "Channel",
    TlvType.PAN_ID: "PAN ID",
    TlvType.EXTENDED_PAN_ID: "Extended PAN ID",
    TlvType.NETWORK_NAME: "Network Name",
    TlvType.PSKC: "PSKc",
    TlvType.NETWORK_KEY: "Network Key",
    TlvType.MESH_LOCAL_PREFIX: "Mesh-Local Prefix",
    TlvType.SECURITY_POLICY: "Security Policy",
    TlvType.ACTIVE_TIMESTAMP: "Active Timestamp",
    TlvType.CHANNEL_MASK: "Channel Mask",
}


def _tlv_name(kind: int) -> str:
    try:
        return _NAMES[TlvType(kind)]
    except ValueError:
        return f"Type {kind}"


def _decode_into(values: dict[str, Any], extra: list[Tlv], tlv: Tlv) -> None:
    """Put one parsed TLV into the constructor arguments of ThreadDataset."""
    value, kind = tlv.value, tlv.type
    if kind == TlvType.CHANNEL:
        if len(value) != 3:
            raise TlvError(f"Channel TLV must be 3 bytes (page and channel); got {len(value)}.")
        if value[0] != 0:
            raise TlvError(f"Channel TLV: channel page {value[0]} is not supported (only page 0, 2.4 GHz).")
        values["channel"] = f.check_channel_number(int.from_bytes(value[1:], "big"))
    elif kind == TlvType.PAN_ID:
        values["pan_id"] = int(f.check_pan_id(value.hex()), 16)
    elif kind == TlvType.NETWORK_NAME:
        try:
            values["network_name"] = f.check_network_name(value.decode("utf-8"))
        except UnicodeDecodeError:
            raise TlvError("Network Name TLV is not valid UTF-8.") from None
    elif kind in (TlvType.EXTENDED_PAN_ID, TlvType.PSKC, TlvType.NETWORK_KEY):
        attribute = {2: "extended_pan_id", 4: "pskc", 5: "network_key"}[kind]
        check = {2: f.check_extended_pan_id, 4: f.check_pskc, 5: f.check_network_key}[kind]
        values[attribute] = check(value.hex())
    elif kind == TlvType.MESH_LOCAL_PREFIX:
        values["mesh_local_prefix"] = _hex_of(value.hex(), 8, "Mesh-Local Prefix TLV")
    elif kind == TlvType.SECURITY_POLICY:
        values["security_policy"] = value.hex()
    elif kind == TlvType.ACTIVE_TIMESTAMP:
        values["active_timestamp"] = ActiveTimestamp.from_bytes(value)
    elif kind == TlvType.CHANNEL_MASK:
        values["channel_mask"] = _hex_of(value.hex(), None, "Channel Mask TLV")
    else:
        extra.append(tlv)
