"""Bad values in the CLI's own words, and a stable `"code"` for every usage error under `--json`
(README "Exit codes"). Typer converts values with pydantic: until 2026-12-06 `admin journal get
abc` said "Input should be a valid integer, unable to parse string as an integer", `admin faults
create --status 99` "Input should be greater than or equal to 400", and `--json` printed
`"code": null` for every usage error."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import localexa.client
from localexa.cli.main import app
from localexa.cli.usage_errors import OWN_CODES, USAGE_CODES
from tests.cli.bad_server import BadServer, invoke
from tests.cli.conftest import CLEAN_ENV, Cli

README = Path(__file__).resolve().parents[2] / "README.md"

#: pydantic's and Typer's wording, which the CLI's messages must not carry.
_LEAKS = ("Input should", "valid integer", "unable to parse", "Value error", "pydantic", "<int>")


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


FAULT = ("admin", "faults", "create", "--path", "/x")
BAD_VALUES = [
    (("admin", "journal", "get", "abc"), "Invalid value for 'entry_id': 'abc' is no whole number."),
    ((*FAULT, "--status", "99"),
     "Invalid value for '--status': 99 is out of range: give 400 to 599."),
    ((*FAULT, "--status", "abc"),
     "'abc' is no whole number: give 400 to 599."),
    ((*FAULT, "--probability", "2"), "2 is out of range: give 0 to 1."),
    ((*FAULT, "--probability", "nan"), "'nan' is not a finite number: give 0 to 1."),
    ((*FAULT, "--probability", "inf"), "'inf' is not a finite number: give 0 to 1."),
    ((*FAULT, "--delay-ms", "-1"), "-1 is out of range: give 0 to 60000."),
    ((*FAULT, "--retry-after", "0"), "0 is out of range: give 1 to 86400."),
    (("admin", "journal", "list", "--limit", "x"), "'x' is no whole number: give 1 or more."),
    (("admin", "journal", "list", "--limit", "0"), "0 is out of range: give 1 or more."),
    (("thread", "list", "--extended-pan-id", "dead00beef00cafe", "--limit", "1.5"),
     "'1.5' is no whole number: give 1 or more."),
    (("thread", "put", "--extended-pan-id", "x", "--network-name", "n", "--network-key", "k",
      "--channel", "x"), "'x' is no whole number."),
    (("evaluations", "run", "amzn1.ask.skill.x", "--endpoint", "e", "--poll", "soon"),
     "'soon' is no number: give 0 to 86400."),
    (("evaluations", "run", "amzn1.ask.skill.x", "--endpoint", "e", "--poll", "-1"),
     "-1 is out of range: give 0 to 86400."),
    # inf, -inf, nan and 1e999 are numbers to Python: "'inf' is no number" was false until
    # 2026-12-06 (rev4 QA). --timeout takes inf (never give up), so there nan is no number at all.
    (("evaluations", "run", "amzn1.ask.skill.x", "--endpoint", "e", "--poll", "inf"),
     "'inf' is not a finite number: give 0 to 86400."),
    (("evaluations", "run", "amzn1.ask.skill.x", "--endpoint", "e", "--poll", "1e999"),
     "'1e999' is not a finite number: give 0 to 86400."),
    (("evaluations", "run", "amzn1.ask.skill.x", "--endpoint", "e", "--poll", "nan"),
     "'nan' is not a finite number: give 0 to 86400."),
    (("evaluations", "run", "amzn1.ask.skill.x", "--endpoint", "e", "--timeout", "nan"),
     "'nan' is not a number: give 0 or more."),
    (("evaluations", "run", "amzn1.ask.skill.x", "--endpoint", "e", "--timeout", "-inf"),
     "'-inf' is out of range: give 0 or more."),
    (("admin", "directives", "endpoints", "u", "s", "--wait", "inf"),
     "'inf' is not a finite number: give 0 to 60."),
    (("admin", "directives", "endpoints", "u", "s", "--wait", "61"), "61 is out of range: give 0 to 60."),
    (("serve", "--client-timeout", "nan"), "'nan' is not a finite number: give 0.1 to 86400."),
    (("serve", "--port", "0"), "0 is out of range: give 1 to 65535."),
    (("serve", "--client-timeout", "x"), "'x' is no number: give 0.1 to 86400."),
]  # fmt: skip


@pytest.mark.parametrize(("args", "words"), BAD_VALUES)
def test_a_bad_value_is_said_in_the_cli_words(cli: Cli, args: tuple[str, ...], words: str) -> None:
    result = cli.run(*args, token="t")
    assert result.exit_code == 2, result.output
    message = _flat(result.stderr)
    assert words in message
    assert not [leak for leak in _LEAKS if leak in message]


@pytest.mark.parametrize(("args", "words"), BAD_VALUES[:3])
def test_a_bad_value_under_json_is_one_object_with_its_code(
    cli: Cli, args: tuple[str, ...], words: str
) -> None:
    result = cli.run(*args, "--json", token="t")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error == {"status": None, "code": "INVALID_VALUE", "message": error["message"], "requestId": None}
    assert words in error["message"]


def test_a_bad_root_option_and_a_bad_variable_are_said_in_the_cli_words(cli: Cli) -> None:
    result = cli.run("admin", "health", "--json", options=["--retries", "x"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "INVALID_VALUE"
    assert "'x' is no whole number: give 0 or more." in error["message"]
    env = {**CLEAN_ENV, "LOCALEXA_DEMO": "maybe"}
    served = cli.runner.invoke(app, ["serve", "--port", "1"], env=env)
    assert served.exit_code == 2, served.output
    assert "'maybe' is neither true nor false" in _flat(served.stderr)
    assert "Input should" not in served.stderr


USAGE_ERRORS = [
    (("admin", "custmers", "list"), "NO_SUCH_COMMAND"),
    (("admin", "customers", "list", "--bogus"), "NO_SUCH_OPTION"),
    (("admin", "customers", "create", "--name", "A"), "MISSING_PARAMETER"),
    (("admin", "journal", "get", "1", "2"), "UNEXPECTED_ARGUMENT"),
    (("admin", "journal", "get", "x"), "INVALID_VALUE"),
    (("admin", "clock", "advance", "5m5m"), "INVALID_VALUE"),
    (("admin", "customers", "get", ".."), "INVALID_VALUE"),  # the client's ConfigurationError
    (("admin", "reset"), "INVALID_VALUE"),  # the command's own BadParameter: no --yes
]


@pytest.mark.parametrize(("args", "code"), USAGE_ERRORS)
def test_every_usage_error_has_a_stable_code_under_json(cli: Cli, args: tuple[str, ...], code: str) -> None:
    result = cli.run(*args, "--json")
    assert result.exit_code == 2, result.output
    error = json.loads(result.stderr)["error"]
    assert error["code"] == code, error
    assert error["status"] is None
    assert error["requestId"] is None


def test_option_without_its_value_has_its_code(cli: Cli) -> None:
    result = cli.run("admin", "journal", "list", "--json", "--limit")
    assert result.exit_code == 2, result.output
    assert json.loads(result.stderr)["error"]["code"] == "BAD_OPTION_USAGE"


def test_missing_credentials_have_their_code(cli: Cli) -> None:
    result = cli.run("skill", "status", "amzn1.ask.skill.x", "--json")
    assert result.exit_code == 4, result.output
    assert json.loads(result.stderr)["error"]["code"] == "MISSING_CREDENTIALS"


def test_the_readme_lists_every_code() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Exit codes") :]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))
    assert listed == {*USAGE_CODES, *OWN_CODES}


@pytest.mark.parametrize(
    ("mode", "code", "exit_code"),
    [
        ("closed-before-answer", "NO_CONNECTION", 6),
        ("not-http", "NO_CONNECTION", 6),
        ("html-200", "INVALID_RESPONSE", 6),
        ("json-403", "ACCESS_DENIED", 4),  # the API's own code, as it sent it
        ("html-404", None, 3),  # an answer without a code: none is made up
    ],
)
def test_a_call_without_an_answer_of_the_api_has_a_code(
    bad_server: BadServer, mode: str, code: str | None, exit_code: int
) -> None:
    bad_server.mode = mode
    result = invoke(["admin", "customers", "list", "--json"], url=bad_server.url)
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert json.loads(result.stderr)["error"]["code"] == code


def test_a_call_that_times_out_has_its_code(bad_server: BadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    class QuickClient(localexa.client.Client):  # the CLI's client, with a 0.2 s timeout
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "timeout": 0.2})

    monkeypatch.setattr(localexa.client, "Client", QuickClient)
    bad_server.mode = "silent"
    result = invoke(["admin", "customers", "list", "--json"], url=bad_server.url)
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert json.loads(result.stderr)["error"]["code"] == "TIMEOUT"
