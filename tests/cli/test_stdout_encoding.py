"""A stdout whose encoding cannot write a character of the answer (ASCII, a Windows code page) gets
it as `\\xeb`, as stderr does, and the command exits 0: the table of a customer named `Zoë`
raised UnicodeEncodeError, which the root group took for an argument that is not UTF-8 (`error: an
argument is not valid UTF-8 text: 'ë'`, exit 2, no output), even after a `create` had created
(cliq QA of 2026-12-07)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.canned_api import serve_canned
from tests.cli.conftest import CLEAN_ENV

CUSTOMER = {"userId": "amzn1.account.ZOE", "name": "Zoë", "email": "zoe@example.com", "region": "NA"}


def _answer(method: str, path: str) -> tuple[int, Any]:
    if path == "/_localexa/customers":
        return (201 if method == "POST" else 200), (CUSTOMER if method == "POST" else [CUSTOMER])
    return 200, CUSTOMER


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serve_canned(_answer) as url:
        yield url


def _run(api: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env["PYTHONIOENCODING"] = "ascii"
    command = [sys.executable, "-m", "localexa", "--url", api, "--admin-key", "k", *args]
    return subprocess.run(command, capture_output=True, env=env, timeout=60, check=False)


@pytest.mark.parametrize(
    "args",
    [
        ("admin", "customers", "get", "amzn1.account.ZOE"),
        ("admin", "customers", "list"),
        ("admin", "customers", "create", "--name", "Zoë", "--email", "zoe@example.com", "--password", "pw"),
    ],
)
def test_an_ascii_stdout_gets_escapes_not_a_usage_error(api: str, args: tuple[str, ...]) -> None:
    done = _run(api, *args)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Zo\\xeb" in done.stdout
    assert done.stderr == b""


def test_json_output_was_ascii_already(api: str) -> None:
    done = _run(api, "admin", "customers", "get", "amzn1.account.ZOE", "--json")
    assert done.returncode == 0, done.stderr.decode()
    assert b'"name": "Zo\\u00eb"' in done.stdout


def test_running_the_cli_in_process_leaves_stdout_as_it_was() -> None:
    """The CLI writes what an ASCII stdout cannot hold as `\\xeb`; a program running it in its own
    process gets its stdout back strict, as it had it (review of 2026-12-07)."""
    code = (
        "import sys\n"
        "from localexa.cli.main import app\n"
        "try:\n"
        "    app(['--version'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sys.stdout.errors, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "strict"
