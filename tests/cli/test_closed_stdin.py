"""A command started with stdin closed (`<&-`; Python's `sys.stdin` is then None) that would read
it or ask on it is a usage error naming stdin (exit 2), never a traceback: `events send`,
`admin restore -`, `skill linking update --file -`, a `-` JSON argument and `admin reset` without
`--yes` died of `AttributeError: 'NoneType' object has no attribute 'buffer'` (or `'isatty'`) with
exit 1 (cliq QA of 2026-12-07)."""

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


def _with_stdin_closed(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    command = [sys.executable, "-m", "localexa", "--url", "http://127.0.0.1:9", "--admin-key", "k", *args]
    # `exec … <&-`: the command starts with no descriptor 0 at all, as from a shell or a service.
    shell = ["sh", "-c", 'exec "$@" <&-', "sh", *command]
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
    done = _with_stdin_closed(*args, "--json")
    assert done.returncode == 2, done.stderr
    error = json.loads(done.stderr)["error"]
    assert error["code"] == "INVALID_VALUE"
    assert error["message"] == f"Invalid value: cannot read {what} from stdin: stdin is closed"


def test_reset_without_yes_and_without_stdin_erases_nothing() -> None:
    done = _with_stdin_closed("admin", "reset")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "pass --yes to confirm" in done.stderr
