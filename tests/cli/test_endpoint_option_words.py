"""`--endpoint` that names no host is refused in the CLI's words, naming the option: it said the
client's `endpoint= 'nonsense/x' is not a URL of a host: …` (cliq QA of 2026-12-07). Nothing is
sent: the customer's token goes nowhere (the URL below has nothing listening)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from tests.cli.conftest import CLEAN_ENV

SKILL = "amzn1.ask.skill.x"
COMMANDS = [
    ("skill", "link-status", SKILL),
    ("skill", "unlink", SKILL),
    ("skill", "enable-and-link", SKILL, "--auth-code", "c", "--redirect-uri", "https://app.example.com/cb"),
]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_endpoint_that_is_no_host_names_the_option(command: tuple[str, ...]) -> None:
    args = ["--url", "http://127.0.0.1:9", "--token", "t", *command, "--endpoint", "nonsense/x"]
    result = CliRunner().invoke(app, [*args, "--json"], env=CLEAN_ENV)
    assert result.exit_code == 2, result.output
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "INVALID_VALUE"
    assert error["message"].startswith("--endpoint 'nonsense/x' is not a URL of a host: give a host[:port]")
    plain = CliRunner().invoke(app, args, env=CLEAN_ENV)
    assert plain.stderr.startswith("error: --endpoint 'nonsense/x' is not a URL of a host")
