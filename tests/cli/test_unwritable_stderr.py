"""A stderr that cannot be written (`2>/dev/full`) changes no exit code: stderr only carries
diagnostics, so the command's own code still says what happened (README "Exit codes"). Every
error exited 1 instead, the code of an API refusal, as the failed write of its message raised
`OSError: [Errno 28]` out of Rich, whose traceback could not be written either (cliq QA of
2026-12-07, L9). Real processes: the CliRunner has no descriptors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import localexa
from localexa.testing import Localexa

SRC = str(Path(localexa.__file__).resolve().parents[1])


def run(*args: str, stdout_file: Path) -> int:
    with open("/dev/full", "w") as full, stdout_file.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "localexa", *args],
            stdout=out,
            stderr=full,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": SRC, "LC_ALL": "C.UTF-8", "COLUMNS": "80"},
            timeout=60,
        )
    return done.returncode


def _admin(localexa: Localexa) -> list[str]:
    return ["--url", localexa.url, "--admin-key", localexa.admin_key, "admin"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("customers", "get", "amzn1.account.NOBODY"), 3),  # 404
        (("customers", "get", "amzn1.account.NOBODY", "--json"), 3),
        (("custmers", "list"), 2),  # usage: no such command
        (("customers", "list", "--limit", "x"), 2),  # usage: a bad value, Rich's box
        (("reset",), 2),  # usage raised by the command itself
    ],
)
def test_an_error_keeps_its_exit_code(
    localexa: Localexa, tmp_path: Path, args: tuple[str, ...], code: int
) -> None:
    out = tmp_path / "out"
    assert run(*_admin(localexa), *args, stdout_file=out) == code
    assert out.read_text() == ""


def test_no_connection_keeps_exit_6(tmp_path: Path) -> None:
    args = ("--url", "http://127.0.0.1:1", "--admin-key", "k", "--retries", "0", "admin", "clock", "get")
    assert run(*args, stdout_file=tmp_path / "out") == 6


def test_a_bad_data_dir_of_ca_keeps_exit_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    assert run("ca", "--data-dir", str(tmp_path / "file"), stdout_file=tmp_path / "out") == 2


def test_a_command_that_succeeds_exits_0_with_its_output(localexa: Localexa, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(*_admin(localexa), "clock", "get", "--json", stdout_file=out) == 0
    assert '"now"' in out.read_text()
