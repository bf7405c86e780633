"""A stdout that cannot be written (README "Exit codes", since 2026-12-06): `> /dev/full`, a closed
descriptor (`>&-`) or a closed pipe gives one line on stderr (none for a pipe), never a
traceback, and exit 7, "done, but the output is lost". Before, `/dev/full` printed a Rich
traceback and exited 1 (a created customer looked refused), a closed stdout died of
AttributeError, and `--help | head` exited 1. Real processes: the CliRunner has no descriptors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import localexa
from localexa.testing import Localexa

OUTPUT_LOST = 7
SRC = str(Path(localexa.__file__).resolve().parents[1])


def run(localexa: Localexa, *args: str, stdout: Any, close_stdout: bool = False) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "localexa", "--url", localexa.url, "--admin-key", localexa.admin_key, *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        preexec_fn=(lambda: os.close(1)) if close_stdout else None,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": SRC, "LC_ALL": "C.UTF-8", "COLUMNS": "80"},
        timeout=60,
    )
    return done.returncode, done.stderr.decode(errors="replace")


def assert_output_lost(code: int, stderr: str, reason: str) -> None:
    assert code == OUTPUT_LOST, stderr
    assert "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
    assert stderr.strip().splitlines() == [
        f"error: cannot write the output to stdout: {reason} "
        "(what the command did is done; only its output is lost)"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("admin", "customers", "list", "--json"),
        ("admin", "customers", "list"),
        ("admin", "snapshot"),
        ("admin", "clock", "get"),
        ("--help",),
        ("admin", "clock", "--help"),
    ],
)
def test_a_full_stdout_is_one_line_and_exit_7(localexa: Localexa, args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        code, stderr = run(localexa, *args, stdout=full)
    assert_output_lost(code, stderr, "No space left on device")


def test_a_create_whose_id_is_lost_still_created_and_says_so(localexa: Localexa) -> None:
    email = "lost-output@example.com"
    create = ("admin", "customers", "create", "--name", "Lost", "--email", email, "--password", "pw", "-q")
    with open("/dev/full", "w") as full:
        code, stderr = run(localexa, *create, stdout=full)
    assert_output_lost(code, stderr, "No space left on device")
    assert [c.email for c in localexa.client.admin.customers.list()] == [email]


@pytest.mark.parametrize("args", [("admin", "customers", "list"), ("admin", "customers", "list", "--json")])
def test_a_closed_stdout_is_one_line_and_exit_7(localexa: Localexa, args: tuple[str, ...]) -> None:
    code, stderr = run(localexa, *args, stdout=None, close_stdout=True)
    assert_output_lost(code, stderr, "stdout is closed")


def test_a_closed_pipe_exits_7_quietly(localexa: Localexa) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before anything is written, as `| head` after its line
    try:
        code, stderr = run(localexa, "--help", stdout=writer)
    finally:
        os.close(writer)
    assert code == OUTPUT_LOST, stderr
    assert stderr == ""


def test_a_writable_stdout_is_untouched(localexa: Localexa, tmp_path: Path) -> None:
    with (tmp_path / "out.json").open("w") as out:
        code, stderr = run(localexa, "admin", "clock", "get", "--json", stdout=out)
    assert (code, stderr) == (0, "")
    assert '"now"' in (tmp_path / "out.json").read_text()
