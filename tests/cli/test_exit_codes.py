"""Exit codes scripts can trust (cli/output.py), and errors on stderr with code, message and
request id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localexa.testing import Localexa
from localexa.testing.ports import free_port_block
from tests.cli.conftest import Cli

XPANID = "dead00beef00cafe"
KEY = "00112233445566778899aabbccddeeff"


def test_401_wrong_admin_key_exits_4(cli: Cli) -> None:
    result = cli.run("admin", "customers", "list", admin_key="wrong")
    assert result.exit_code == 4
    assert "401" in result.stderr
    assert "X-Localexa-Admin-Key" in result.stderr
    assert "request id: " in result.stderr
    assert result.stdout == ""


def test_401_bad_token_and_403_missing_scope_exit_4(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill()
    assert cli.run("skill", "credentials", skill.skill_id, token="Atza|not-a-token").exit_code == 4
    profile_only = localexa.access_token(skill.developer.customer, "profile")
    refused = cli.run("skill", "credentials", skill.skill_id, token=profile_only)
    assert refused.exit_code == 4
    assert "403" in refused.stderr


def test_404_exits_3(cli: Cli) -> None:
    result = cli.run("admin", "customers", "get", "amzn1.account.NOBODY")
    assert result.exit_code == 3
    assert "404" in result.stderr


def test_409_exits_5(cli: Cli, localexa: Localexa) -> None:
    token = localexa.event_token(localexa.create_customer(), localexa.create_skill())
    put = ("thread", "put", "--extended-pan-id", XPANID, "--network-name", "home", "--network-key", KEY)
    cli.ok(*put, token=token)
    again = cli.run(*put, token=token)
    assert again.exit_code == 5
    assert "409" in again.stderr


def test_connection_refused_exits_6(cli: Cli) -> None:
    nobody = f"http://127.0.0.1:{free_port_block()}"
    result = cli.run("admin", "health", url=nobody, options=["--retries", "0"])
    assert result.exit_code == 6
    assert "error" in result.stderr


def test_server_errors_exit_6(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill()
    localexa.fault("/v1/skills/*/credentials", status=503)
    result = cli.run(
        "skill", "credentials", skill.skill_id, token=skill.developer.token, options=["--retries", "0"]
    )
    assert result.exit_code == 6
    assert "503" in result.stderr


def test_errors_are_json_on_stderr_with_json(cli: Cli) -> None:
    result = cli.run("admin", "customers", "get", "amzn1.account.NOBODY", "--json")
    assert result.exit_code == 3
    error = json.loads(result.stderr)["error"]
    assert error["status"] == 404
    assert error["message"]
    assert error["requestId"]
    assert result.stdout == ""


def test_missing_credentials_exit_4_before_any_call(cli: Cli, tmp_path: Path) -> None:
    no_key = cli.run("admin", "customers", "list", admin_key=None, options=["--data-dir", str(tmp_path)])
    assert no_key.exit_code == 4
    assert "admin key" in no_key.stderr
    no_token = cli.run("skill", "credentials", "amzn1.ask.skill.x")
    assert no_token.exit_code == 4
    assert "--token" in no_token.stderr


def test_the_admin_key_is_read_from_the_data_dir(cli: Cli, localexa: Localexa, tmp_path: Path) -> None:
    (tmp_path / "admin-key").write_text(localexa.admin_key + "\n")
    result = cli.run(
        "admin", "customers", "list", "--json", admin_key=None, options=["--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []


BAD_JSON = ["admin", "skills", "create", "--vendor-id", "v", "--name", "n", "--endpoint", "e"]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["admin", "customers", "list", "--bogus"], id="unknown-option"),
        pytest.param(["skill", "status", "amzn1.ask.skill.x", "--stage", "beta"], id="bad-choice"),
        pytest.param(["admin", "clock", "advance", "soon"], id="bad-duration"),
        pytest.param([*BAD_JSON, "--account-linking", "{not json"], id="bad-json"),
    ],
)
def test_usage_errors_exit_2(cli: Cli, args: list[str]) -> None:
    assert cli.run(*args, token="t").exit_code == 2
