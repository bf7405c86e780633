"""The CLI through Typer's CliRunner, against the session's real server (the testing kit's
`localexa` fixture, emptied before each test)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner, Result

from localexa.cli.main import app
from localexa.testing import Localexa
from tests.cli.echo_skill import EchoSkill

if TYPE_CHECKING:
    from tests.cli.bad_server import BadServer

#: The caller's own settings must not leak into the commands under test.
CLEAN_ENV: dict[str, str | None] = {
    name: None
    for name in (
        "LOCALEXA_URL",
        "LOCALEXA_ADMIN_KEY",
        "LOCALEXA_DATA_DIR",
        "LOCALEXA_TOKEN",
        "LOCALEXA_CLIENT_SECRET",
        "LOCALEXA_CA_FILE",
        "LOCALEXA_RETRIES",
    )
}


@dataclass
class Cli:
    localexa: Localexa
    runner: CliRunner

    def run(
        self,
        *args: str,
        token: str | None = None,
        admin_key: str | None = "default",
        url: str | None = None,
        input: str | None = None,
        options: Sequence[str] = (),
    ) -> Result:
        """`localexa --url <server> --admin-key <key> [--token T] ARGS`."""
        root = ["--url", url or self.localexa.url, *options]
        if admin_key is not None:
            root += ["--admin-key", self.localexa.admin_key if admin_key == "default" else admin_key]
        if token is not None:
            root += ["--token", token]
        return self.runner.invoke(app, [*root, *args], input=input, env=CLEAN_ENV)

    def ok(self, *args: str, **options: Any) -> Result:
        result = self.run(*args, **options)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        return result

    def json(self, *args: str, **options: Any) -> Any:
        return json.loads(self.ok(*args, "--json", **options).stdout)


@pytest.fixture(scope="session", autouse=True)
def one_click_tree() -> Iterator[None]:
    """CliRunner turned the whole Typer app into Click commands again for every invoke (30-70 ms
    for an `admin` command, ~10 s of this folder's CPU); each app is now converted once, on its
    first invoke. A command runs the same functions either way (test_command_coverage's audit
    recorded the same requests of every command both ways)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", cache(typer.main.get_command))
        yield


@pytest.fixture
def cli(localexa: Localexa) -> Cli:
    return Cli(localexa, CliRunner())


@pytest.fixture(scope="session")
def echo_skill() -> Iterator[EchoSkill]:
    with EchoSkill() as skill:
        yield skill


@pytest.fixture(scope="module")
def bad_server() -> Iterator[BadServer]:
    """A server answering every call badly, in the way its `mode` names (tests/cli/bad_server.py)."""
    from tests.cli.bad_server import serve_badly  # it imports CLEAN_ENV from here

    with serve_badly() as server:
        yield server
