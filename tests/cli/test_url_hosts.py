"""`--url` with a host no client can send is a usage error (exit 2, INVALID_VALUE under --json)
naming the URL and why: `http://a..b/` and a 64-character label printed a Python traceback and
exited 1, `http://xn--` showed idna's words without the URL, `http://☃.com/` was said to have a
query or fragment (revB QA of 2026-12-06)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from tests.cli.conftest import CLEAN_ENV
from tests.unsendable_hosts import UNSENDABLE


@pytest.mark.parametrize(("url", "why"), UNSENDABLE)
def test_an_unsendable_url_is_a_usage_error_under_json(url: str, why: str) -> None:
    args = ["--url", url, "--admin-key", "k", "--retries", "0", "admin", "health", "--json"]
    result = CliRunner().invoke(app, args, env=CLEAN_ENV)
    assert result.exit_code == 2, (result.output, result.exception)
    error = json.loads(result.stderr)["error"]
    shown = repr(url.rstrip("/"))
    assert error == {
        "status": None,
        "code": "INVALID_VALUE",
        "message": f"Invalid value for --url: {shown} is not a valid URL: {why}.",
        "requestId": None,
    }


@pytest.mark.parametrize("url", ["http://a..b/", f"http://{'a' * 64}/"])
def test_no_traceback_from_the_env_variable_either(url: str) -> None:
    result = CliRunner().invoke(
        app, ["--token", "t", "lwa", "token-info", "--json"], env={**CLEAN_ENV, "LOCALEXA_URL": url}
    )
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output
    assert "is not a valid URL: its host" in json.loads(result.stderr)["error"]["message"]


@pytest.mark.parametrize("url", ["http://[::ffff:127.0.0.1]:9", "http://[::1]:9", "http://127.0.0.1.:9"])
def test_a_sendable_url_is_no_usage_error(url: str) -> None:
    """Taken and tried (the shared rule's other sendable hosts: tests/client/test_base_url_hosts.py):
    nothing listens on port 9, so the CLI says it could not connect (exit 1), not INVALID_VALUE."""
    args = ["--url", url, "--admin-key", "k", "--retries", "0", "admin", "health", "--json"]
    result = CliRunner().invoke(app, args, env=CLEAN_ENV)
    assert result.exit_code != 2, result.output
    assert "INVALID_VALUE" not in result.stderr, result.stderr


@pytest.mark.parametrize("command", [["skill", "status", "amzn1.ask.skill.x"], ["admin", "health"]])
def test_an_empty_url_is_a_usage_error_not_amazons_hosts(command: list[str]) -> None:
    """`localexa --url "$LX" …` with LX unset called api.amazonalexa.com with the token (or said
    the admin API needs `base_url=`): now a usage error naming --url (cliq QA of 2026-12-07)."""
    args = ["--url", "", "--token", "t", "--admin-key", "k", "--retries", "0", *command, "--json"]
    result = CliRunner().invoke(app, args, env=CLEAN_ENV)
    assert result.exit_code == 2, (result.output, result.exception)
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "INVALID_VALUE"
    assert error["message"] == (
        "Invalid value for --url: the URL is empty: give the localexa server's, e.g. http://127.0.0.1:8080."
    )
