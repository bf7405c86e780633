"""`thread put --tlv-file` reads ot-ctl's output as Windows saves it too: after a UTF-8 byte order
mark (Notepad, PowerShell 7's `utf8BOM`), or as UTF-16 with its BOM (Notepad's "Unicode", Windows
PowerShell's `>`). Such a file was read as raw TLV bytes, and refused with errors about TLVs it
never held."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from localexa.testing import Localexa
from localexa.thread import ThreadDataset
from tests.cli.conftest import Cli

XPANID = "dead00beef00cafe"
DATASET = ThreadDataset(
    network_name="windows",
    extended_pan_id=XPANID,
    network_key="00112233445566778899aabbccddeeff",
    pskc="445f2b5ca6f2a93a55ce570a70efeecb",
    pan_id=0x1234,
    channel=15,
).with_defaults()
HEX = DATASET.to_tlv_hex()
OUTPUT = f"{HEX}\r\nDone\r\n"


@pytest.fixture
def token(localexa: Localexa) -> str:
    """A customer's event token for a skill with the Credential Locker permission."""
    return localexa.event_token(localexa.create_customer(), localexa.create_skill())


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(codecs.BOM_UTF8 + OUTPUT.encode(), id="utf-8-bom"),
        pytest.param(OUTPUT.encode("utf-16"), id="utf-16-bom-native"),
        pytest.param(codecs.BOM_UTF16_LE + OUTPUT.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(codecs.BOM_UTF16_BE + OUTPUT.encode("utf-16-be"), id="utf-16-be-bom"),
    ],
)
def test_a_text_file_with_a_bom_is_read_as_text(cli: Cli, token: str, tmp_path: Path, content: bytes) -> None:
    dataset = tmp_path / "dataset.txt"
    dataset.write_bytes(content)
    cli.ok("thread", "put", "--tlv-file", str(dataset), token=token)
    stored = cli.json("thread", "list", "--extended-pan-id", XPANID, token=token)
    assert [n["networkName"] for n in stored] == ["windows"]


def test_a_utf16_file_is_refused_for_what_its_text_says(cli: Cli, tmp_path: Path) -> None:
    """Read as text, ot-ctl's error is what the refusal names, not a TLV of type 0xff."""
    dataset = tmp_path / "dataset.txt"
    dataset.write_bytes("Error 23: NotFound\r\n".encode("utf-16"))
    result = cli.run("thread", "put", "--tlv-file", str(dataset), token="never-sent")
    assert result.exit_code == 2, result.stdout
    assert "ot-ctl said 'Error 23: NotFound'" in " ".join(result.stderr.replace("│", " ").split())


@pytest.mark.parametrize(
    "unknown",
    [
        pytest.param(bytes((0xEF, 0xBB, 0xBF)) + bytes(0xBA), id="type-0xef-like-utf-8-bom"),
        pytest.param(bytes((0xFF, 0xFE)) + bytes(0xFE), id="type-0xff-like-utf-16-le-bom"),
    ],
)
def test_raw_bytes_that_start_like_a_bom_stay_raw_bytes(
    cli: Cli, token: str, tmp_path: Path, unknown: bytes
) -> None:
    """A raw dataset whose first TLV is of an unknown type 0xef or 0xff starts with the bytes of a
    BOM, but what follows is no text: it is still read as the dataset's own bytes."""
    dataset = tmp_path / "dataset.bin"
    dataset.write_bytes(unknown + bytes.fromhex(HEX))
    cli.ok("thread", "put", "--tlv-file", str(dataset), token=token)
    stored = cli.json("thread", "list", "--extended-pan-id", XPANID, token=token)
    assert [n["networkName"] for n in stored] == ["windows"]
