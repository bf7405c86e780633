"""`localexa thread …`: the Credential Locker by fields and by TLV dataset, and back to TLV."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from localexa.testing import Localexa
from localexa.thread import ThreadDataset, compute_pskc
from localexa.thread.tlv import Tlv, encode_tlvs
from tests.cli.conftest import Cli

XPANID = "dead00beef00cafe"
KEY = "00112233445566778899aabbccddeeff"


@pytest.fixture
def token(localexa: Localexa) -> str:
    """A customer's event token for a skill with the Credential Locker permission."""
    skill = localexa.create_skill()
    return localexa.event_token(localexa.create_customer(), skill)


def dataset(name: str = "home", xpanid: str = XPANID) -> ThreadDataset:
    return ThreadDataset(
        network_name=name,
        extended_pan_id=xpanid,
        network_key=KEY,
        pskc="445f2b5ca6f2a93a55ce570a70efeecb",
        pan_id=0x1234,
        channel=15,
    ).with_defaults()


def test_put_by_fields_then_list(cli: Cli, token: str) -> None:
    stored = cli.json(
        "thread", "put", "--extended-pan-id", XPANID, "--network-name", "home", "--network-key", KEY,
        "--passphrase", "J01NME", "--pan-id", "1234", "--channel", "15", "--border-agent-id", "0a0b",
        token=token,
    )  # fmt: skip
    assert stored == {"extendedPanId": XPANID, "networkName": "home", "stored": True}

    [network] = cli.json("thread", "list", "--extended-pan-id", XPANID, token=token)
    assert network["networkKey"] == KEY
    assert network["pskc"] == compute_pskc("J01NME", XPANID, "home")
    assert (network["panId"], network["channelNumber"], network["defaultBorderAgentId"]) == (
        "1234",
        15,
        "0a0b",
    )
    table = cli.ok("thread", "list", "--extended-pan-id", XPANID, token=token).stdout
    assert "home" in table
    assert KEY not in table  # keys only in --json and exports


def test_tlv_import_and_export_round_trip(cli: Cli, token: str) -> None:
    original = dataset().to_tlv_hex()
    put = cli.ok("thread", "put", "--tlv", original, token=token)
    assert "not stored" not in put.stderr  # OpenThread's defaults: an export gives them back
    exported = cli.ok("thread", "export", "--extended-pan-id", XPANID, token=token).stdout.strip()
    assert exported == original
    as_json = cli.json("thread", "export", "--extended-pan-id", XPANID, token=token)
    assert as_json == {"tlv": original, "complete": True}


def test_put_names_what_the_credential_locker_cannot_keep(cli: Cli, token: str) -> None:
    """A border router's own mesh-local prefix and an unknown TLV: stored nothing of them, and an
    export gives OpenThread's defaults instead, so put says so (it said nothing)."""
    own = replace(dataset("lab"), mesh_local_prefix="fd000db800000000", extra_tlvs=(Tlv(74, b"\x01\x02"),))
    put = cli.ok("thread", "put", "--tlv", own.to_tlv_hex(), token=token)
    assert put.stderr.startswith("note: not stored"), put.stderr
    assert "mesh-local prefix, TLV type 74" in put.stderr
    assert "security policy" not in put.stderr  # the default's own value comes back as it was
    exported = cli.ok("thread", "export", "--extended-pan-id", XPANID, token=token).stdout.strip()
    assert ThreadDataset.from_tlv_hex(exported).mesh_local_prefix == "fddead00beef0000"


def test_export_names_the_defaults_it_filled_on_stderr(cli: Cli, token: str) -> None:
    """The Credential Locker stores no mesh-local prefix, security policy, channel mask or active
    timestamp: export fills OpenThread's and says so on one stderr line; stdout stays bare hex."""
    cli.ok("thread", "put", "--tlv", dataset().to_tlv_hex(), token=token)
    result = cli.ok("thread", "export", "--extended-pan-id", XPANID, token=token)
    assert result.stdout == dataset().to_tlv_hex() + "\n"  # what `$(…)` takes
    [note] = result.stderr.splitlines()
    for named in (
        "mesh-local prefix fdde:ad00:beef:0::/64",
        "active timestamp 1",
        "security policy 02a0f7f8",
        "channel mask 11-26",
    ):
        assert named in note, note
    # --minimal fills nothing, so it says nothing.
    minimal = cli.ok("thread", "export", "--extended-pan-id", XPANID, "--minimal", token=token)
    assert minimal.stderr == ""


def test_a_border_routers_own_tlv_order_comes_back_as_the_same_dataset(
    cli: Cli, token: str, tmp_path: Path
) -> None:
    shuffled = encode_tlvs(reversed(dataset("garage").to_tlvs())).hex()
    hex_file = tmp_path / "dataset.hex"
    hex_file.write_text(shuffled + "\n")
    cli.ok("thread", "put", "--tlv-file", str(hex_file), token=token)
    exported = cli.ok("thread", "export", "--extended-pan-id", XPANID, token=token).stdout.strip()
    assert ThreadDataset.from_tlv_hex(exported) == ThreadDataset.from_tlv_hex(shuffled)


def test_a_raw_binary_tlv_file_is_read_too(cli: Cli, token: str, tmp_path: Path) -> None:
    raw = tmp_path / "dataset.bin"
    raw.write_bytes(bytes.fromhex(dataset("office", "0011223344556677").to_tlv_hex()))
    cli.ok("thread", "put", "--tlv-file", str(raw), token=token)
    [network] = cli.json("thread", "list", "--extended-pan-id", "0011223344556677", token=token)
    assert network["networkName"] == "office"


def test_minimal_export_and_incomplete_networks(cli: Cli, token: str) -> None:
    cli.ok(
        "thread",
        "put",
        "--extended-pan-id",
        XPANID,
        "--network-name",
        "bare",
        "--network-key",
        KEY,
        token=token,
    )
    refused = cli.run("thread", "export", "--extended-pan-id", XPANID, token=token)
    assert refused.exit_code == 2, (refused.stdout, refused.stderr)
    assert refused.stdout == ""  # nothing for $(…) to hand to ot-ctl
    assert "no panId or channelNumber" in refused.stderr
    assert "--minimal" in refused.stderr
    result = cli.ok("thread", "export", "--extended-pan-id", XPANID, "--minimal", token=token)
    parsed = ThreadDataset.from_tlv_hex(result.stdout.strip())
    assert (parsed.network_name, parsed.network_key, parsed.channel) == ("bare", KEY, None)
    minimal = cli.json("thread", "export", "--extended-pan-id", XPANID, "--minimal", token=token)
    assert minimal["complete"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--tlv", "0e08zz"], "hex", id="not-hex"),
        pytest.param(["--tlv", "000300000f", "--network-name", "x"], "TLV", id="tlv-and-fields"),
        pytest.param(
            ["--extended-pan-id", XPANID, "--network-name", "n", "--network-key", "00"], "16", id="key"
        ),
    ],
)
def test_bad_input_is_a_usage_error(cli: Cli, token: str, args: list[str], message: str) -> None:
    result = cli.run("thread", "put", *args, token=token)
    assert result.exit_code == 2
    assert message in result.stderr


def test_export_of_nothing_is_not_found(cli: Cli, token: str) -> None:
    result = cli.run("thread", "export", "--extended-pan-id", XPANID, token=token)
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: no Thread network with extended PAN ID {XPANID}")
    named = cli.run("thread", "export", "--extended-pan-id", XPANID, "--network-name", "nope", token=token)
    assert named.exit_code == 3
    assert "network name 'nope'" in named.stderr


def test_export_errors_are_json_under_json(cli: Cli, token: str) -> None:
    """`thread export --json` printed its own errors as `error: …` lines (QA of 2026-12-06)."""
    missing = cli.run("thread", "export", "--extended-pan-id", XPANID, "--json", token=token)
    assert missing.exit_code == 3
    assert json.loads(missing.stderr)["error"] == {
        "status": None,
        "code": "NETWORK_NOT_FOUND",
        "message": f"no Thread network with extended PAN ID {XPANID}",
        "requestId": None,
    }
    cli.ok("thread", "put", "--extended-pan-id", XPANID, "--network-name", "bare", "--network-key", KEY,
           token=token)  # fmt: skip
    partial = cli.run("thread", "export", "--extended-pan-id", XPANID, "--json", token=token)
    assert partial.exit_code == 2
    assert partial.stdout == ""
    error = json.loads(partial.stderr)["error"]
    assert error["code"] == "INCOMPLETE_DATASET"
    assert "no panId or channelNumber" in error["message"]
