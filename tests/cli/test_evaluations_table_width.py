"""`evaluations results|run` print their test cases on the console every other command uses
(README "Command line", since 2026-12-06): in a narrow terminal a test case name and a directive
stay whole and the table fits, falling back to `header  value` records as the other tables do;
piped output is not wrapped. The group made its own Console until then: it folded names and
directives at any character and wrapped piped output at 160 columns."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from localexa.cli import output
from localexa.cli.main import app
from tests.cli.canned_api import serve_canned
from tests.cli.conftest import CLEAN_ENV

SKILL = "amzn1.ask.skill.narrow"
RUN = "run-narrow"
NAME = "BrightnessController_SetBrightness_Above_Range"
DIRECTIVE = "Alexa.BrightnessController.AdjustBrightness"
REASON = "brightness: expected 100, actual 42 " + "(the skill said so in a long sentence) " * 5
RESULTS = {
    "testCaseResults": [
        {
            "name": NAME,
            "status": "FAILED",
            "directive": {"header": {"namespace": "Alexa.BrightnessController", "name": "AdjustBrightness"}},
            "reasons": [REASON.strip()],
        },
    ],
}


def _answer(method: str, path: str) -> tuple[int, Any]:
    return 200, RESULTS


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serve_canned(_answer) as url:
        yield url


def results_in(monkeypatch: pytest.MonkeyPatch, api: str, width: int) -> str:
    """`localexa evaluations results` with the shared console `width` columns wide."""
    console = Console(file=io.StringIO(), width=width, highlight=False, color_system=None)
    monkeypatch.setattr(output, "_stdout", lambda: console)
    result = CliRunner().invoke(
        app, ["--url", api, "--token", "t", "evaluations", "results", SKILL, RUN], env=CLEAN_ENV
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    text = str(console.file.getvalue())  # type: ignore[attr-defined]
    assert text, "the table went to a console of its own"
    return text


def test_a_narrow_terminal_keeps_names_and_directives_whole(
    monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    text = results_in(monkeypatch, api, 140)
    assert NAME in text
    assert DIRECTIVE in text
    assert "│" in text  # still a table: the reason wraps
    assert all(len(line) <= 140 for line in text.splitlines()), text
    assert REASON.split()[0] in text


def test_too_narrow_for_a_table_prints_records(monkeypatch: pytest.MonkeyPatch, api: str) -> None:
    text = results_in(monkeypatch, api, 80)
    assert f"Test case           {NAME}" in text
    assert f"Directive           {DIRECTIVE}" in text
    # Records are never wrapped by Rich (the terminal may wrap a long line, which copies whole).
    assert f"Actual vs expected  {REASON.strip()}" in text


def test_piped_results_are_not_wrapped(api: str) -> None:
    result = CliRunner().invoke(
        app, ["--url", api, "--token", "t", "evaluations", "results", SKILL, RUN], env=CLEAN_ENV
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert REASON.strip() in result.stdout  # one line, as other commands' piped tables
