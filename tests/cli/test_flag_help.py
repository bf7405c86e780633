"""Help shows a flag without a value: Typer 0.29's Rich help gave every flag a `<bool>` metavar
(`--json <bool>`, `-q <bool>`, `--help <bool>`), and `--json true`, written as the help read,
is a usage error (review 36b). Options that take a value keep theirs."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from tests.cli.conftest import CLEAN_ENV


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={**CLEAN_ENV, "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def _row(text: str, option: str) -> str:
    [row] = [line for line in text.splitlines() if re.search(rf"{option}\b", line)]
    return row


@pytest.mark.parametrize(
    ("command", "flags"),
    [
        ((), ("--version", "--help")),
        (("admin", "customers", "create"), ("--quiet", "--json", "--help")),
        (("serve",), ("--tls", "--no-demo", "--help")),
    ],
)
def test_flags_show_no_value(command: tuple[str, ...], flags: tuple[str, ...]) -> None:
    text = _help(*command)
    assert "<bool>" not in text
    for flag in flags:
        assert _row(text, flag)  # still listed


def test_options_that_take_a_value_keep_their_metavar() -> None:
    text = _help("admin", "customers", "create")
    assert "<str>" in _row(text, "--name")
    assert "[NA|EU|FE]" in _row(text, "--region")
