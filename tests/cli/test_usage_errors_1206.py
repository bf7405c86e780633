"""Usage errors and exit codes found by the CLI QA of 2026-12-06 (README "Command line"):
`admin clock advance` refuses 0 and more than 3650d itself (exit 2, the CLI's words; 0 exited 0
doing nothing, 99999d was the server's 400, exit 1); `--json` makes usage errors one JSON object
on stderr (they were Rich boxes); a bad region reads "'XX' is no region: give NA, EU or FE" (it
was pydantic's "Value error, 'XX' is not one of 'na', 'eu', 'fe'"); `admin health` against a
server that is not localexa exits 6 as its help says (it exited 3)."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from localexa.cli.usage_errors import USAGE_CODES
from tests.cli.conftest import Cli


@pytest.mark.parametrize("duration", ["0", "0s", "0m0s"])
def test_advancing_by_nothing_is_a_usage_error(cli: Cli, duration: str) -> None:
    before = cli.localexa.client.admin.clock.get().now
    result = cli.run("admin", "clock", "advance", duration)
    assert result.exit_code == 2, result.output
    assert "moves the clock by nothing" in result.stderr
    assert cli.localexa.client.admin.clock.get().now - before < timedelta(seconds=5)


@pytest.mark.parametrize("duration", ["99999d", "3651d", "315360001"])
def test_advancing_past_ten_years_is_refused_before_the_call(cli: Cli, duration: str) -> None:
    result = cli.run("admin", "clock", "advance", duration, "--json")
    assert result.exit_code == 2, result.output
    error = json.loads(result.stderr)["error"]
    assert "the clock advances at most 3650d (315360000 seconds) at a time" in error["message"]
    assert "advanceSeconds" not in error["message"]
    assert not [e for e in cli.localexa.client.admin.journal.list() if e.path == "/_localexa/clock/advance"]


def test_advancing_by_exactly_ten_years_is_sent(cli: Cli) -> None:
    assert cli.ok("admin", "clock", "advance", "3650d").exit_code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("admin", "clock", "advance", "5m5m"), "'5m5m' is no duration"),
        (("admin", "customers", "list", "--bogus"), "No such option: --bogus"),
        (("admin", "journal", "list", "--limit", "x"), "--limit"),
        (("admin", "customers", "create", "--name", "A", "--email", "a@e.com", "--password", "p",
          "--region", "XX"), "'XX' is no region: give NA, EU or FE."),
    ],
)  # fmt: skip
def test_usage_errors_are_json_under_json(cli: Cli, args: tuple[str, ...], words: str) -> None:
    result = cli.run(*args, "--json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert words in error["message"]
    assert error == {"status": None, "code": error["code"], "message": error["message"], "requestId": None}
    assert error["code"] in USAGE_CODES  # null until 2026-12-06 (test_usage_words.py)


def test_usage_errors_stay_text_without_json(cli: Cli) -> None:
    result = cli.run("admin", "clock", "advance", "5m5m")
    assert result.exit_code == 2
    assert "'5m5m' is no duration" in result.stderr
    assert not result.stderr.startswith("{")


@pytest.mark.parametrize(
    "args",
    [
        ("admin", "customers", "create", "--name", "A", "--email", "a@e.com", "--password", "p",
         "--region", "XX"),
        ("admin", "journal", "list", "--region", "xx"),
        ("admin", "faults", "create", "--path", "/x", "--status", "503", "--region", "mars"),
        ("events", "send", "-", "--region", "XX"),
    ],
)  # fmt: skip
def test_a_bad_region_is_said_in_the_cli_words(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli.run(*args, token="t", input="{}")
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.replace("│", " ").split())
    assert "is no region: give NA, EU or FE." in message
    assert "Value error" not in message
    assert "'na'" not in message


def test_a_region_in_any_case_is_taken(cli: Cli) -> None:
    made = cli.json("admin", "customers", "create", "--name", "E", "--email", "eu@e.com", "--password", "p",
                    "--region", "eu")  # fmt: skip
    assert made["region"] == "EU"


class _NotLocalexa(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def other_server(tmp_path: Path) -> Iterator[str]:
    handler = functools.partial(_NotLocalexa, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_health_of_a_server_that_is_not_localexa_exits_6(cli: Cli, other_server: str) -> None:
    result = cli.run("admin", "health", url=other_server, admin_key=None)
    assert result.exit_code == 6, result.output
    assert "404" in result.stderr
    assert "or not (exit 6: no answer, or any other answer" in " ".join(
        cli.ok("admin", "health", "--help").stdout.split()
    )


def test_a_bad_stage_is_said_in_the_cli_words(cli: Cli) -> None:
    result = cli.run("skill", "status", "amzn1.ask.skill.x", "--stage", "foo", token="t")
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.replace("│", " ").split())
    assert "'foo' is no stage: give development or live." in message
    assert "Value error" not in message


def test_a_stage_is_still_taken(cli: Cli) -> None:
    result = cli.run("skill", "status", "amzn1.ask.skill.x", "--stage", "live", token="t")
    assert result.exit_code == 4, result.output  # past the option: the token is refused
