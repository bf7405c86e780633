"""The root command: every group is listed, and a client command never imports the server."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from localexa.cli import serve_limits
from localexa.cli.group import _load
from localexa.cli.main import COMMAND_HELP, COMMANDS, app
from localexa.server.settings import CLIENT_TIMEOUT_BOUNDS, STOP_GRACE_BOUNDS, Settings
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


def test_the_root_help_imports_no_command_module() -> None:
    """Listing the groups took each one's help from its module, so `localexa --help` imported
    every command module, serve's uvicorn and FastAPI among them: 1.2 s, against 0.7 s for a
    group's help (review 36b). It now shows the short help kept beside COMMANDS."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from localexa.cli.main import COMMANDS, app\n"
        "result = CliRunner().invoke(app, ['--help'], env={'COLUMNS': '200'})\n"
        "assert ' serve ' in result.stdout and 'Exit codes' in result.stdout, result.output\n"
        "modules = {target.partition(':')[0] for target in COMMANDS.values()}\n"
        "heavy = ('uvicorn', 'fastapi', 'localexa.server', 'localexa.client', *modules)\n"
        "print(result.exit_code, sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert answer.stdout.strip() == "0 []", answer.stdout + answer.stderr


def test_the_serve_help_imports_neither_uvicorn_nor_the_server() -> None:
    """`localexa serve --help` imported uvicorn, FastAPI and the server's settings to show its
    options' bounds and defaults: 0.73 s against 0.22 s for the root's help (session 36's note).
    They are kept in cli/serve_limits.py, checked against Settings' below."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from localexa.cli.main import app\n"
        "result = CliRunner().invoke(app, ['serve', '--help'], env={'COLUMNS': '200'})\n"
        "assert '--client-timeout' in result.stdout and '--stop-grace' in result.stdout, result.output\n"
        "heavy = ('uvicorn', 'fastapi', 'starlette', 'localexa.server', 'localexa.client')\n"
        "print(result.exit_code, sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert answer.stdout.strip() == "0 []", answer.stdout + answer.stderr


def test_the_serve_options_bounds_are_the_settings_own() -> None:
    assert Settings.model_fields["client_timeout"].default == serve_limits.DEFAULT_CLIENT_TIMEOUT
    assert Settings.model_fields["idle_timeout"].default == serve_limits.DEFAULT_IDLE_TIMEOUT
    assert CLIENT_TIMEOUT_BOUNDS == (0.1, serve_limits.MAX_CLIENT_TIMEOUT)
    assert STOP_GRACE_BOUNDS == serve_limits.STOP_GRACE_BOUNDS


def test_each_groups_short_help_is_its_own() -> None:
    """COMMAND_HELP repeats each group's help for the root's list: a group whose help changes
    fails here until the list says the same."""
    assert COMMAND_HELP.keys() == COMMANDS.keys()
    for name, target in COMMANDS.items():
        command = _load(name, target)
        own = (command.short_help or command.help or "").split("\n\n")[0].strip()
        assert COMMAND_HELP[name] == own, name


def test_the_token_may_follow_the_command_too(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill()
    found = cli.json("skill", "credentials", skill.skill_id, "--token", skill.developer.token)
    assert found["skillMessagingCredentials"]["clientId"] == skill.messaging_client_id
