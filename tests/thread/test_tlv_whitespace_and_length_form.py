"""Dataset hex with whitespace between its bytes (ot-ctl output wrapped by a terminal or a person)
is read as `bytes.fromhex` reads it, and a refusal counts digits, not spaces; and an unknown TLV
written with the extended length form (0xff, two bytes) is written back in that form, byte for
byte, not shortened."""

from __future__ import annotations

import pytest

from localexa.thread import ThreadDataset, Tlv, TlvError
from localexa.thread.tlv import encode_tlvs, hex_to_bytes, parse_tlvs
from tests.thread.test_dataset import OTBR_DEFAULT

H = OTBR_DEFAULT


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(H[:4] + " " + H[4:], id="one-space"),
        pytest.param(" ".join(H[i : i + 2] for i in range(0, len(H), 2)), id="every-byte"),
        pytest.param("\n".join(H[i : i + 64] for i in range(0, len(H), 64)), id="wrapped-lines"),
        pytest.param(H[:20] + "\r\n\t " + H[20:].upper(), id="crlf-tab-upper"),
    ],
)
def test_whitespace_between_bytes_is_allowed(text: str) -> None:
    assert ThreadDataset.from_tlv_hex(text).to_tlv_hex() == H
    assert hex_to_bytes(text) == bytes.fromhex(H)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(H[:4] + " " + H[4:-1], f"odd number of digits ({len(H) - 1})", id="odd-with-a-space"),
        pytest.param(" 0e0 \n", "odd number of digits (3)", id="odd-surrounded"),
        pytest.param("0 e08", "whitespace inside a byte", id="space-inside-a-byte"),
        pytest.param("0e\u00a008", "'\\xa0' is not a hex digit", id="no-break-space"),
        pytest.param("0x0e08", "'x' is not a hex digit", id="0x-prefix"),
    ],
)
def test_what_is_wrong_is_said_exactly(text: str, message: str) -> None:
    with pytest.raises(TlvError) as caught:
        ThreadDataset.from_tlv_hex(text)
    assert message in str(caught.value)


def test_an_unknown_tlv_keeps_its_extended_length_form() -> None:
    unknown = "4aff000300000a"  # type 0x4a, 0xff, then the length 3 in two bytes
    for text in (H + unknown, H[:20] + unknown + H[20:]):
        dataset = ThreadDataset.from_tlv_hex(text)
        assert dataset.extra_tlvs == (Tlv(0x4A, bytes.fromhex("00000a")),)
        assert dataset.to_tlv_hex() == text
        assert ThreadDataset.from_tlv_hex(dataset.to_tlv_hex()) == dataset


def test_the_length_form_is_not_part_of_equality() -> None:
    short, long_ = parse_tlvs(bytes.fromhex("4a0300000a4aff000300000a"))
    assert short == long_
    assert hash(short) == hash(long_)
    assert (short.extended_length, long_.extended_length) == (False, True)
    assert encode_tlvs([short, long_]).hex() == "4a0300000a4aff000300000a"
    # Built by hand, a TLV takes the short form unless its value needs the long one.
    assert Tlv(0x4A, b"\x01").encode().hex() == "4a0101"
    assert Tlv(0x4A, b"\x01", extended_length=True).encode().hex() == "4aff000101"
    assert Tlv(0x4A, bytes(255)).encode()[:4].hex() == "4aff00ff"
