"""The root command: every group is listed, and a client command never imports the server."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from localexa.cli.main import COMMANDS, app
from localexa.testing import Localexa
from tests.cli.conftest import CLEAN_ENV, Cli


def test_help_lists_every_group_and_the_exit_codes() -> None:
    result = CliRunner().invoke(app, ["--help"], env={**CLEAN_ENV, "COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("serve", "ca", "skill", "thread", "events", "evaluations", "admin"):
        assert name in COMMANDS
        assert f" {name} " in result.stdout
    assert "Exit codes" in result.stdout


def test_serve_and_ca_keep_their_own_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={**CLEAN_ENV, "COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--no-demo" in result.stdout
    assert "--tls" in result.stdout


def test_client_commands_do_not_import_the_server() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from localexa.cli.main import app\n"
        "result = CliRunner().invoke(app, ['admin', 'customers', 'list', '--help'])\n"
        "print(result.exit_code, sorted(m for m in sys.modules if m.startswith('localexa.server')))\n"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "0 []"


def test_the_token_may_follow_the_command_too(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill()
    found = cli.json("skill", "credentials", skill.skill_id, "--token", skill.developer.token)
    assert found["skillMessagingCredentials"]["clientId"] == skill.messaging_client_id
