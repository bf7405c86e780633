"""`localexa serve --client-timeout` takes 0.1 to 86400 seconds (a day), as the CLI's other
bounded float options (`evaluations run --poll`, `admin directives endpoints --wait`) take theirs:
`inf`, `-inf`, `nan` and `1e999` are refused in the same words, exit 2, before anything starts.
Until the night of 2026-12-06 `inf` and `1e999` were taken (as "no timeout"), and then a client
that paused its body for ever kept SIGTERM from stopping the server: uvicorn waits for the request
(measured: still running 30 s after the SIGTERM; with `--client-timeout 1`, 0.3 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from localexa.cli.main import app
from tests.cli.test_serve_bad_options import SERVE_ENV, flat


class WouldStart(Exception):
    """Raised where `run_server` would begin building the server: the test fails, not hangs."""


@pytest.fixture(autouse=True)
def never_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise WouldStart

    monkeypatch.setattr("localexa.cli.serve_run.pause_collection_for_startup", refuse)


def _serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    command = ["serve", "--no-demo", "--data-dir", str(tmp_path / "data"), *args]
    return CliRunner().invoke(app, command, env={**SERVE_ENV, **(env or {})})


REFUSED = [
    ("inf", "'inf' is not a finite number: give 0.1 to 86400."),
    ("1e999", "'1e999' is not a finite number: give 0.1 to 86400."),
    ("-inf", "'-inf' is not a finite number: give 0.1 to 86400."),
    ("nan", "'nan' is not a finite number: give 0.1 to 86400."),
    ("0", "0 is out of range: give 0.1 to 86400."),
    ("-1", "-1 is out of range: give 0.1 to 86400."),
    ("86401", "86401 is out of range: give 0.1 to 86400."),
    ("soon", "'soon' is no number: give 0.1 to 86400."),
]


@pytest.mark.parametrize(("value", "words"), REFUSED)
def test_a_client_timeout_that_is_no_finite_number_of_seconds_is_refused(
    tmp_path: Path, value: str, words: str
) -> None:
    result = _serve(tmp_path, f"--client-timeout={value}")
    assert not isinstance(result.exception, WouldStart), "started with --client-timeout " + value
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "--client-timeout" in flat(result.stderr)
    assert words in flat(result.stderr), result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "data").exists()  # refused before anything was made


def test_the_variable_is_held_to_the_same_bounds(tmp_path: Path) -> None:
    result = _serve(tmp_path, env={"LOCALEXA_CLIENT_TIMEOUT": "inf"})
    assert result.exit_code == 2, (result.exit_code, result.output)
    message = flat(result.stderr)
    assert "LOCALEXA_CLIENT_TIMEOUT" in message
    assert "'inf' is not a finite number: give 0.1 to 86400." in message


@pytest.mark.parametrize("value", ["0.1", "86400"])
def test_the_bounds_themselves_are_taken(tmp_path: Path, value: str) -> None:
    result = _serve(tmp_path, "--client-timeout", value)
    assert isinstance(result.exception, WouldStart), (result.exit_code, result.output)


def test_the_help_says_the_bound() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={**SERVE_ENV, "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "(at most a day)" in flat(result.stdout)
