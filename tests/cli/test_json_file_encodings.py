"""JSON the CLI reads from a file or stdin (`skill linking update --file`, `admin restore`,
`events send`, `@file.json` arguments) may start with a byte order mark, as Windows writes one:
UTF-8's (Notepad, PowerShell 7's `utf8BOM`) is skipped, and UTF-16 with its BOM (Notepad's
"Unicode", Windows PowerShell's `>`) is read as UTF-16 (RFC 8259 §8.1 lets a parser ignore the
mark). Both were refused (`--file is not valid JSON: Unexpected UTF-8 BOM (decode using
utf-8-sig)`, `… is not UTF-8 text (byte 0: b'\\xff')`) until the cliq QA of 2026-12-07, while a
`--tlv-file` with a BOM was read."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from localexa.cli.main import app
from localexa.testing import Localexa
from tests.cli.conftest import CLEAN_ENV, Cli

LINKING = {
    "type": "AUTH_CODE",
    "authorizationUrl": "https://bom.example.com/auth",
    "accessTokenUrl": "https://bom.example.com/token",
    "clientId": "bom-client",
    "clientSecret": "bom-secret",
    "scopes": ["lights"],
    "accessTokenScheme": "HTTP_BASIC",
    "domains": [],
}
TEXT = json.dumps(LINKING)
ENCODINGS = [
    pytest.param(codecs.BOM_UTF8 + TEXT.encode(), id="utf-8-bom"),
    pytest.param(TEXT.encode("utf-16"), id="utf-16-bom-native"),
    pytest.param(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), id="utf-16-le-bom"),
    pytest.param(codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), id="utf-16-be-bom"),
]


@pytest.mark.parametrize("content", ENCODINGS)
def test_a_linking_file_with_a_bom_is_read(
    cli: Cli, localexa: Localexa, tmp_path: Path, content: bytes
) -> None:
    skill = localexa.create_skill()
    token = skill.developer.token
    path = tmp_path / "linking.json"
    path.write_bytes(content)
    cli.ok("skill", "linking", "update", skill.skill_id, "--file", str(path), token=token)
    stored = cli.json("skill", "linking", "get", skill.skill_id, token=token)
    assert stored["authorizationUrl"] == LINKING["authorizationUrl"]
    assert stored["clientId"] == "bom-client"


def test_a_snapshot_on_stdin_with_a_utf8_bom_is_restored(cli: Cli, localexa: Localexa) -> None:
    localexa.create_customer(email="bom@example.com")
    snapshot = cli.ok("admin", "snapshot").stdout
    localexa.reset()
    args = ["--url", localexa.url, "--admin-key", localexa.admin_key, "admin", "restore", "-"]
    restored = cli.runner.invoke(app, args, input=codecs.BOM_UTF8 + snapshot.encode(), env=CLEAN_ENV)
    assert restored.exit_code == 0, restored.output
    assert [c.email for c in localexa.client.admin.customers.list()] == ["bom@example.com"]


def test_utf16_that_is_not_text_names_its_encoding(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8")  # a lone surrogate
    result = cli.run("events", "send", str(path), token="t")
    assert result.exit_code == 2, result.output
    assert f"the event in {path} is not UTF-16-LE text (byte 0: b'\\x00\\xd8')" in result.stderr
