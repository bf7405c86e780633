"""The field checks every part of localexa shares (OpenThread's limits, localexa.thread.fields)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from localexa.thread import fields as f


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        pytest.param(f.check_network_key, "AB" * 16, "ab" * 16, id="networkKey-upper"),
        pytest.param(f.check_network_key, "0x" + "01" * 16, "01" * 16, id="networkKey-0x"),
        pytest.param(f.check_pskc, "c3" * 16, "c3" * 16, id="pskc"),
        pytest.param(f.check_extended_pan_id, "DEAD00BEEF00CAFE", "dead00beef00cafe", id="xpan"),
        pytest.param(f.check_network_name, "OpenThread-1a2b", "OpenThread-1a2b", id="name"),
        pytest.param(f.check_network_name, "日本語の網", "日本語の網", id="name-15-utf8-bytes"),
        pytest.param(f.check_pan_id, "0x1234", "1234", id="panId-0x"),
        pytest.param(f.check_pan_id, "FFFE", "fffe", id="panId-fffe"),
        pytest.param(f.check_channel_number, 11, 11, id="channel-11"),
        pytest.param(f.check_channel_number, 26, 26, id="channel-26"),
        pytest.param(f.check_border_agent_id, "0A" * 16, "0a" * 16, id="border-agent-16-bytes"),
    ],
)
def test_valid_values_are_normalized(
    check: Callable[[object], object], value: object, expected: object
) -> None:
    assert check(value) == expected


@pytest.mark.parametrize(
    ("check", "value", "field", "words"),
    [
        pytest.param(f.check_network_key, "ab" * 15, "networkKey", "got 15 bytes", id="networkKey-short"),
        pytest.param(f.check_network_key, "g" * 32, "networkKey", "16 bytes", id="networkKey-not-hex"),
        pytest.param(f.check_network_key, b"\x00" * 16, "networkKey", "string", id="networkKey-bytes"),
        pytest.param(f.check_pskc, "ab" * 17, "pskc", "got 17 bytes", id="pskc-long"),
        pytest.param(f.check_extended_pan_id, "0x", "extendedPanId", "8 bytes", id="xpan-only-prefix"),
        pytest.param(f.check_extended_pan_id, "ab cd ef 01", "extendedPanId", "8 bytes", id="xpan-spaces"),
        pytest.param(f.check_network_name, "", "networkName", "got 0 bytes", id="name-empty"),
        pytest.param(f.check_network_name, "é" * 9, "networkName", "got 18 bytes", id="name-18-bytes"),
        # A JSON "\ud800" escape decodes to a lone surrogate, which no UTF-8 encodes.
        pytest.param(f.check_network_name, "\ud800", "networkName", "UTF-8", id="name-lone-surrogate"),
        pytest.param(f.check_pan_id, "FFFF", "panId", "broadcast", id="panId-ffff"),
        pytest.param(f.check_pan_id, "123", "panId", "2 bytes", id="panId-3-digits"),
        pytest.param(f.check_channel_number, 0, "channelNumber", "between 11 and 26", id="channel-0"),
        pytest.param(f.check_channel_number, False, "channelNumber", "integer", id="channel-bool"),
        pytest.param(f.check_border_agent_id, "", "defaultBorderAgentId", "hex", id="border-agent-empty"),
    ],
)
def test_invalid_values_name_the_field(
    check: Callable[[object], object], value: object, field: str, words: str
) -> None:
    with pytest.raises(f.InvalidField) as caught:
        check(value)
    assert caught.value.field == field
    assert field in caught.value.message
    assert words in caught.value.message


def test_whole_network_check() -> None:
    checked = f.check_thread_network(
        {"extendedPanId": "AA" * 8, "networkName": "n", "networkKey": "BB" * 16, "pskc": None}
    )
    assert checked == {"extendedPanId": "aa" * 8, "networkName": "n", "networkKey": "bb" * 16}
    with pytest.raises(f.InvalidField, match="unknown field"):
        f.check_thread_network(
            {"extendedPanId": "aa" * 8, "networkName": "n", "networkKey": "bb" * 16, "x": 1}
        )
    with pytest.raises(f.InvalidField, match="networkKey is required"):
        f.check_thread_network({"extendedPanId": "aa" * 8, "networkName": "n"})


def test_the_thread_package_never_imports_the_server() -> None:
    """The client and the CLI use it, and they must not pull in server code (DESIGN.md)."""
    code = (
        "import sys, localexa.thread, localexa.thread.dataset, localexa.thread.pskc;"
        "leaked = [m for m in sys.modules if m.startswith(('localexa.server', 'fastapi', 'sqlalchemy'))];"
        "print(leaked); sys.exit(1 if leaked else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
