"""A command started with stdin closed (`<&-`; Python's `sys.stdin` is then None) that would read
it or ask on it is a usage error naming stdin (exit 2), never a traceback: `events send`,
`admin restore -`, `skill linking update --file -`, a `-` JSON argument and `admin reset` without
`--yes` died of `AttributeError: 'NoneType' object has no attribute 'buffer'` (or `'isatty'`) with
exit 1. And with stderr closed (`2>&-`) an error went to stdout, into the output a script
captures (`ID=$(localexa … 2>&-)`) (cliq QA of 2026-12-07)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.cli.conftest import CLEAN_ENV

DIRECTIVE = (
    "admin",
    "directives",
    "send",
    "--user-id",
    "u",
    "--skill-id",
    "s",
    "--namespace",
    "A",
    "--name",
    "B",
)


def _started_with(*args: str, closed: str = "<&-") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    command = [sys.executable, "-m", "localexa", "--url", "http://127.0.0.1:9", "--admin-key", "k", *args]
    # `exec … <&-`: the command starts with no descriptor 0 at all, as from a shell or a service.
    shell = ["sh", "-c", f'exec "$@" {closed}', "sh", *command]
    return subprocess.run(shell, capture_output=True, text=True, env=env, timeout=60, check=False)


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (("--token", "t", "events", "send"), "the event"),
        (("--token", "t", "events", "send", "-"), "the event"),
        (("admin", "restore", "-"), "the snapshot"),
        (("--token", "t", "skill", "linking", "update", "amzn1.ask.skill.x", "--file", "-"), "--file"),
        ((*DIRECTIVE, "--payload", "-"), "--payload"),
    ],
)
def test_reading_a_closed_stdin_is_a_usage_error(args: tuple[str, ...], what: str) -> None:
    done = _started_with(*args, "--json")
    assert done.returncode == 2, done.stderr
    error = json.loads(done.stderr)["error"]
    assert error["code"] == "INVALID_VALUE"
    assert error["message"] == f"Invalid value: cannot read {what} from stdin: stdin is closed"


def test_reset_without_yes_and_without_stdin_erases_nothing() -> None:
    done = _started_with("admin", "reset")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "pass --yes to confirm" in done.stderr


@pytest.mark.parametrize("json_output", [(), ("--json",)])
def test_with_stderr_closed_an_error_stays_out_of_stdout(json_output: tuple[str, ...]) -> None:
    done = _started_with("admin", "health", *json_output, closed="2>&-")
    assert done.returncode == 6
    assert done.stdout == ""
