"""`thread put` takes what `ot-ctl dataset active -x` prints as it is: the hex line, then `Done`.

Saved to a file (`ot-ctl dataset active -x > dataset.txt`, CRLF over a serial console) or passed
as `--tlv "$(ot-ctl dataset active -x)"`, that output was refused with exit 2: the `Done` line
made the text "not hex", and a file's text was then read as raw TLV bytes. Anything else is still
refused, saying what was wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from localexa.testing import Localexa
from localexa.thread import ThreadDataset
from tests.cli.conftest import Cli

XPANID = "dead00beef00cafe"
HEX = (
    ThreadDataset(
        network_name="ot-ctl",
        extended_pan_id=XPANID,
        network_key="00112233445566778899aabbccddeeff",
        pskc="445f2b5ca6f2a93a55ce570a70efeecb",
        pan_id=0x1234,
        channel=15,
    )
    .with_defaults()
    .to_tlv_hex()
)


@pytest.fixture
def token(localexa: Localexa) -> str:
    """A customer's event token for a skill with the Credential Locker permission."""
    return localexa.event_token(localexa.create_customer(), localexa.create_skill())


def _stored(cli: Cli, token: str) -> list[str]:
    return [n["networkName"] for n in cli.json("thread", "list", "--extended-pan-id", XPANID, token=token)]


@pytest.mark.parametrize(
    "output",
    [
        pytest.param(f"{HEX}\nDone\n", id="ot-ctl"),
        pytest.param(f"{HEX}\r\nDone\r\n", id="crlf"),
        pytest.param(f"\n  {HEX.upper()}  \r\n\r\n Done \n\n", id="blank-lines-and-spaces"),
        pytest.param(f"{HEX}\n", id="hex-only"),
    ],
)
def test_ot_ctl_output_in_a_file_is_stored(cli: Cli, token: str, tmp_path: Path, output: str) -> None:
    dataset = tmp_path / "dataset.txt"
    dataset.write_bytes(output.encode())
    cli.ok("thread", "put", "--tlv-file", str(dataset), token=token)
    assert _stored(cli, token) == ["ot-ctl"]


@pytest.mark.parametrize("output", [f"{HEX}\nDone", f"{HEX}\r\nDone\r"], ids=["lf", "crlf"])
def test_ot_ctl_output_as_the_tlv_argument_is_stored(cli: Cli, token: str, output: str) -> None:
    """The shell's `$(…)` drops the last newline, not the `Done` line (nor a CR before it)."""
    cli.ok("thread", "put", "--tlv", output, token=token)
    assert _stored(cli, token) == ["ot-ctl"]


@pytest.mark.parametrize(
    ("output", "message"),
    [
        pytest.param("Error 23: NotFound\n", "ot-ctl said 'Error 23: NotFound'", id="ot-ctl-error"),
        pytest.param("Done\n", "no dataset hex", id="done-alone"),
        pytest.param("\r\n \n", "no dataset hex", id="blank"),
        pytest.param(f"{HEX}\n{HEX}\nDone\n", "found 2 lines", id="two-datasets"),
        pytest.param(f"> dataset active -x\n{HEX}\nDone\n", "found 2 lines", id="prompt-line"),
        pytest.param(f"Done\n{HEX}\n", "found 2 lines", id="done-first"),
        pytest.param(f"{HEX}\nDone\nmore\n", "found 3 lines", id="after-done"),
        pytest.param(f"{HEX[:-1]}\nDone\n", "odd number of digits", id="cut-hex"),
    ],
)
def test_anything_else_is_refused_saying_why(cli: Cli, tmp_path: Path, output: str, message: str) -> None:
    """Refused before any call: no token needed, nothing stored."""
    dataset = tmp_path / "dataset.txt"
    dataset.write_bytes(output.encode())
    for args in (["--tlv-file", str(dataset)], ["--tlv", output]):
        result = cli.run("thread", "put", *args, token="never-sent")
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert message in " ".join(result.stderr.replace("│", " ").split()), (args, result.stderr)
        assert f"Invalid value for {args[0]}" in result.stderr
