"""Thread Operational Datasets (thread/tlv.py, thread/dataset.py): any hex or bytes either parses
or raises TlvError; datasets built field by field survive encode → parse; TLV lengths are
honoured; a duplicated TLV is refused and an unknown one is kept byte for byte."""

from __future__ import annotations

import contextlib
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localexa.thread import (
    ActiveTimestamp,
    InvalidField,
    ThreadDataset,
    Tlv,
    TlvError,
    TlvType,
    check_thread_network,
)
from localexa.thread.fields import CHECKS
from localexa.thread.tlv import encode_tlvs, hex_to_bytes, parse_tlvs
from tests.property import budget

CI = budget(300)
KNOWN = frozenset(int(t) for t in TlvType)


def hex_of(size: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=size, max_size=size).map(bytes.hex)


tlvs = st.builds(Tlv, st.integers(0, 0xFF), st.binary(max_size=300))
unknown_tlvs = st.builds(Tlv, st.integers(0, 0xFF).filter(lambda t: t not in KNOWN), st.binary(max_size=300))
network_names = st.text(min_size=1, max_size=16).filter(
    lambda s: (
        1 <= len(s.encode("utf-8", "surrogatepass")) <= 16 and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)
    )
)


@st.composite
def datasets(draw: st.DrawFn) -> ThreadDataset:
    extra = draw(st.lists(unknown_tlvs, max_size=3, unique_by=lambda t: t.type))
    return ThreadDataset(
        network_name=draw(st.none() | network_names),
        extended_pan_id=draw(st.none() | hex_of(8)),
        network_key=draw(st.none() | hex_of(16)),
        pskc=draw(st.none() | hex_of(16)),
        pan_id=draw(st.none() | st.integers(0, 0xFFFE)),
        channel=draw(st.none() | st.integers(11, 26)),
        mesh_local_prefix=draw(st.none() | hex_of(8)),
        security_policy=draw(st.none() | st.binary(min_size=3, max_size=8).map(bytes.hex)),
        active_timestamp=draw(
            st.none()
            | st.builds(
                ActiveTimestamp, st.integers(0, (1 << 48) - 1), st.integers(0, (1 << 15) - 1), st.booleans()
            )
        ),
        channel_mask=draw(st.none() | st.binary(min_size=1, max_size=12).map(bytes.hex)),
        extra_tlvs=tuple(extra),
    )


@CI
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_raise_tlv_error(data: bytes) -> None:
    for text in (data.hex(), data.hex().upper(), f"  {data.hex()}\n"):
        try:
            dataset = ThreadDataset.from_tlv_hex(text)
        except TlvError:
            continue
        # What parses re-encodes to a dataset that parses to the same thing.
        assert ThreadDataset.from_tlv_hex(dataset.to_tlv_hex()) == dataset


@CI
@given(st.text(max_size=200) | st.text(alphabet=string.hexdigits + " \t\nxX", max_size=200))
def test_any_text_parse_or_raise_tlv_error(text: str) -> None:
    with contextlib.suppress(TlvError):
        ThreadDataset.from_tlv_hex(text)


@CI
@given(st.binary(max_size=400))
def test_tlv_split_raises_only_tlv_error_and_lengths_are_honoured(data: bytes) -> None:
    try:
        parsed = parse_tlvs(data)
    except TlvError:
        return
    # Lengths are honoured: the TLVs cover the input exactly, each value as long as announced.
    offset = 0
    for tlv in parsed:
        assert data[offset] == tlv.type
        size = data[offset + 1]
        header = 2
        if size == 0xFF:
            size, header = int.from_bytes(data[offset + 2 : offset + 4], "big"), 4
        assert len(tlv.value) == size
        assert data[offset + header : offset + header + size] == tlv.value
        offset += header + size
    assert offset == len(data)
    assert parse_tlvs(encode_tlvs(parsed)) == parsed


@CI
@given(st.lists(tlvs, max_size=6))
def test_tlv_encode_parse_round_trip(items: list[Tlv]) -> None:
    data = encode_tlvs(items)
    assert parse_tlvs(data) == items
    assert hex_to_bytes(data.hex().upper()) == data


@CI
@given(st.lists(tlvs, min_size=1, max_size=4), st.data())
def test_truncated_tlvs_are_refused(items: list[Tlv], data: st.DataObject) -> None:
    encoded = encode_tlvs(items)
    cut = data.draw(st.integers(1, len(encoded)))
    boundaries = {0}
    for tlv in items:
        boundaries.add(max(boundaries) + len(tlv.encode()))
    if len(encoded) - cut in boundaries:
        return  # cut on a TLV boundary: a shorter but well-formed sequence
    try:
        parse_tlvs(encoded[: len(encoded) - cut])
    except TlvError:
        return
    raise AssertionError("a truncated TLV was accepted")


@CI
@given(datasets())
def test_dataset_encode_parse_round_trip(dataset: ThreadDataset) -> None:
    text = dataset.to_tlv_hex()
    parsed = ThreadDataset.from_tlv_hex(text)
    assert parsed == dataset
    assert parsed.to_tlv_hex() == text  # the parsed order is kept


@CI
@given(datasets(), st.data())
def test_duplicated_tlv_is_refused(dataset: ThreadDataset, data: st.DataObject) -> None:
    items = dataset.to_tlvs()
    if not items:
        return
    twice = data.draw(st.sampled_from(items))
    position = data.draw(st.integers(0, len(items)))
    with_copy = [*items[:position], Tlv(twice.type, data.draw(st.binary(max_size=20))), *items[position:]]
    with pytest.raises(TlvError):
        ThreadDataset.from_tlv_hex(encode_tlvs(with_copy).hex())


@CI
@given(unknown_tlvs, datasets())
def test_unknown_tlv_is_kept_byte_for_byte(extra: Tlv, dataset: ThreadDataset) -> None:
    if any(t.type == extra.type for t in dataset.extra_tlvs):
        return
    items = [*dataset.to_tlvs(), extra]
    parsed = ThreadDataset.from_tlv_hex(encode_tlvs(items).hex())
    assert extra in parsed.extra_tlvs
    assert bytes.fromhex(parsed.to_tlv_hex()).endswith(extra.encode())


@CI
@given(st.lists(unknown_tlvs, min_size=2, max_size=4))
def test_built_dataset_never_encodes_what_its_parser_refuses(extra: list[Tlv]) -> None:
    """extra_tlvs of one type twice: refused when built, as when parsed."""
    try:
        dataset = ThreadDataset(extra_tlvs=tuple(extra))
    except TlvError:
        assert len({t.type for t in extra}) < len(extra)
        return
    assert ThreadDataset.from_tlv_hex(dataset.to_tlv_hex()) == dataset


field_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.floats()
    | st.text(max_size=40)
    | st.binary(max_size=20).map(bytes.hex)
    | st.binary(max_size=20).map(lambda b: "0x" + b.hex().upper()),
    lambda c: st.lists(c, max_size=2) | st.dictionaries(st.text(max_size=5), c, max_size=2),
    max_leaves=4,
)
networks = st.dictionaries(st.sampled_from(sorted(CHECKS)) | st.text(max_size=12), field_values, max_size=8)


@CI
@given(networks | field_values)
def test_thread_network_checks_raise_only_invalid_field(network: object) -> None:
    try:
        checked = check_thread_network(network)
    except InvalidField as error:
        field = error.field
        assert isinstance(field, str)
    else:
        assert set(checked) <= set(CHECKS)
        with contextlib.suppress(InvalidField):
            ThreadDataset.from_credential_locker(checked)


@CI
@given(datasets())
def test_credential_locker_json_round_trips(dataset: ThreadDataset) -> None:
    try:
        network = dataset.to_credential_locker()
    except InvalidField:
        assert None in (dataset.network_name, dataset.extended_pan_id, dataset.network_key)
        return
    again = ThreadDataset.from_credential_locker(network)
    assert again.to_credential_locker() == network
    assert check_thread_network(network) == network
