"""Active Operational Dataset TLV hex <-> ThreadDataset <-> Credential Locker JSON."""

from __future__ import annotations

from dataclasses import replace

import pytest

from localexa.thread import ActiveTimestamp, InvalidField, ThreadDataset, Tlv, TlvError, compute_pskc

# What `ot-ctl dataset active -x` prints for the OTBR web UI's default network, TLVs in the order
# OpenThread writes them (built by hand, one TLV a line: type, length, value).
OTBR_DEFAULT = "".join(
    [
        "0e080000000000010000",  # 14 Active Timestamp: 1 s, 0 ticks, not authoritative
        "000300000f",  # 0 Channel: page 0, channel 15
        "35060004001fffe0",  # 53 Channel Mask: page 0, 4 bytes, channels 11-26
        "02081111111122222222",  # 2 Extended PAN ID
        "0708fd11002200000000",  # 7 Mesh-Local Prefix fd11:22::/64
        "051000112233445566778899aabbccddeeff",  # 5 Network Key
        "030e4f70656e54687265616444656d6f",  # 3 Network Name "OpenThreadDemo" (14 bytes)
        "01021234",  # 1 PAN ID 0x1234
        "0410445f2b5ca6f2a93a55ce570a70efeecb",  # 4 PSKc of passphrase "j01Nme"
        "0c0402a0f7f8",  # 12 Security Policy: rotation 672 h, flags f7f8
    ]
)


def test_parse_an_openthread_dataset() -> None:
    dataset = ThreadDataset.from_tlv_hex(OTBR_DEFAULT)
    assert dataset.network_name == "OpenThreadDemo"
    assert dataset.extended_pan_id == "1111111122222222"
    assert dataset.network_key == "00112233445566778899aabbccddeeff"
    assert dataset.pskc == "445f2b5ca6f2a93a55ce570a70efeecb"
    assert dataset.pan_id == 0x1234
    assert dataset.channel == 15
    assert dataset.mesh_local_prefix == "fd11002200000000"
    assert dataset.security_policy == "02a0f7f8"
    assert dataset.active_timestamp == ActiveTimestamp(seconds=1, ticks=0, authoritative=False)
    assert dataset.channel_mask == "0004001fffe0"
    assert dataset.extra_tlvs == ()


def test_round_trip_is_byte_exact_in_either_case() -> None:
    assert ThreadDataset.from_tlv_hex(OTBR_DEFAULT).to_tlv_hex() == OTBR_DEFAULT
    assert ThreadDataset.from_tlv_hex(" " + OTBR_DEFAULT.upper() + "\n").to_tlv_hex() == OTBR_DEFAULT


def test_the_pskc_in_the_dataset_is_the_passphrase_stretched() -> None:
    dataset = ThreadDataset.from_tlv_hex(OTBR_DEFAULT)
    assert dataset.extended_pan_id is not None
    assert dataset.network_name is not None
    assert compute_pskc("j01Nme", dataset.extended_pan_id, dataset.network_name) == dataset.pskc


@pytest.mark.parametrize(
    ("passphrase", "xpan", "name", "pskc"),
    [
        # openthread.io border router tools, PSKc generator example
        pytest.param(
            "J01NME", "1234AAAA1234BBBB", "MyOTBRNetwork", "ee4fb64e9341e13846bbe7e1c52b6785", id="otbr-doc"
        ),
        pytest.param(
            "j01Nme", "1111111122222222", "OpenThreadDemo", "445f2b5ca6f2a93a55ce570a70efeecb", id="web-ui"
        ),
    ],
)
def test_compute_pskc_vectors(passphrase: str, xpan: str, name: str, pskc: str) -> None:
    assert compute_pskc(passphrase, xpan, name) == pskc


def test_compute_pskc_rejects_a_short_passphrase() -> None:
    with pytest.raises(InvalidField, match="passphrase"):
        compute_pskc("12345", "1111111122222222", "n")


def test_unknown_tlvs_are_kept_in_place() -> None:
    wake_up_channel = "4a0300000f"  # type 74, which older parsers do not know
    text = OTBR_DEFAULT[:20] + wake_up_channel + OTBR_DEFAULT[20:]
    dataset = ThreadDataset.from_tlv_hex(text)
    assert dataset.extra_tlvs == (Tlv(74, bytes.fromhex("00000f")),)
    assert dataset.to_tlv_hex() == text


def test_extended_length_tlv_round_trips() -> None:
    big = Tlv(200, bytes(300))
    text = "c8ff012c" + "00" * 300
    dataset = ThreadDataset.from_tlv_hex(OTBR_DEFAULT + text)
    assert dataset.extra_tlvs == (big,)
    assert dataset.to_tlv_hex() == OTBR_DEFAULT + text


def test_to_credential_locker_json_and_back() -> None:
    dataset = ThreadDataset.from_tlv_hex(OTBR_DEFAULT)
    network = dataset.to_credential_locker(border_agent_id="AB" * 16)
    assert network == {
        "extendedPanId": "1111111122222222",
        "networkName": "OpenThreadDemo",
        "networkKey": "00112233445566778899aabbccddeeff",
        "pskc": "445f2b5ca6f2a93a55ce570a70efeecb",
        "panId": "1234",
        "channelNumber": 15,
        "defaultBorderAgentId": "ab" * 16,
    }
    back = ThreadDataset.from_credential_locker(network)
    assert back.to_credential_locker() == dataset.to_credential_locker()
    # JSON carries only the credentials: the hex of the JSON-made dataset has just those TLVs.
    assert ThreadDataset.from_tlv_hex(back.to_tlv_hex()) == back
    assert back.mesh_local_prefix is None


def test_with_defaults_makes_a_complete_dataset() -> None:
    network = {
        "extendedPanId": "dead00beef00cafe",
        "networkName": "Home",
        "networkKey": "00" * 16,
        "panId": "beef",
        "channelNumber": 20,
    }
    full = ThreadDataset.from_credential_locker(network).with_defaults()
    types = {tlv.type for tlv in full.to_tlvs()}
    assert types == {0, 1, 2, 3, 5, 7, 12, 14, 53}
    assert ThreadDataset.from_tlv_hex(full.to_tlv_hex()) == full
    with pytest.raises(InvalidField, match="panId"):
        ThreadDataset(network_name="n", channel=15).with_defaults()
    # What it filled is named (the CLI's export says so); a full dataset needs none.
    partial = ThreadDataset.from_credential_locker(network)
    assert partial.missing_defaults() == [
        "active timestamp 1",
        "mesh-local prefix fdde:ad00:beef:0::/64",
        "security policy 02a0f7f8",
        "channel mask 11-26",
    ]
    assert full.missing_defaults() == []
    assert replace(partial, channel_mask="0004001fffe0").missing_defaults()[-1] == "security policy 02a0f7f8"


def test_json_to_dataset_checks_like_the_server() -> None:
    with pytest.raises(InvalidField, match="networkKey"):
        ThreadDataset.from_credential_locker(
            {"extendedPanId": "00" * 8, "networkName": "n", "networkKey": "00"}
        )
    with pytest.raises(InvalidField, match="networkKey"):
        ThreadDataset(network_name="n", extended_pan_id="00" * 8).to_credential_locker()


def test_secrets_stay_out_of_the_repr() -> None:
    text = repr(ThreadDataset.from_tlv_hex(OTBR_DEFAULT))
    assert "00112233445566778899aabbccddeeff" not in text
    assert "445f2b5ca6f2a93a55ce570a70efeecb" not in text
    assert "OpenThreadDemo" in text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("0e0", "odd number", id="odd-length"),
        pytest.param("zz", "not hex", id="not-hex"),
        pytest.param("03", "header", id="truncated-header"),
        pytest.param("03104142", "16 bytes but only 2", id="truncated-value"),
        pytest.param("0102123401025678", "appears twice", id="duplicate"),
        pytest.param("050f" + "00" * 15, "Network Key TLV: networkKey", id="network-key-15-bytes"),
        pytest.param("0207" + "00" * 7, "Extended PAN ID TLV", id="xpan-7-bytes"),
        pytest.param("0311" + "41" * 17, "Network Name TLV: networkName", id="name-17-bytes"),
        pytest.param("0300", "Network Name TLV", id="name-empty"),
        pytest.param("0302c328", "UTF-8", id="name-bad-utf8"),
        pytest.param("0102ffff", "broadcast", id="pan-ffff"),
        pytest.param("000300001b", "between 11 and 26", id="channel-27"),
        pytest.param("000301000f", "page 1", id="channel-page-1"),
        pytest.param("0002000f", "3 bytes", id="channel-2-bytes"),
        pytest.param("0e07" + "00" * 7, "8 bytes", id="timestamp-7-bytes"),
        pytest.param("0709" + "fd" * 9, "Mesh-Local Prefix", id="ml-prefix-9-bytes"),
        pytest.param("0c0202a0", "at least 3 bytes", id="security-policy-2-bytes"),
    ],
)
def test_malformed_datasets_are_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(TlvError) as caught:
        ThreadDataset.from_tlv_hex(text)
    assert words in str(caught.value)


def test_active_timestamp_bits() -> None:
    stamp = ActiveTimestamp(seconds=0x0102030405, ticks=0x7FFF, authoritative=True)
    assert stamp.to_bytes().hex() == "000102030405ffff"
    assert ActiveTimestamp.from_bytes(stamp.to_bytes()) == stamp
    with pytest.raises(TlvError):
        ActiveTimestamp(seconds=1 << 48)
