"""`evaluations status` (and the summary `run` prints) in a real terminal (a pty) of 36, 50 and 80
columns: a run id is never parted from its colon, and no line is cut inside a word. On 36 columns
`evaluation 5c1e…d4c: ERROR` came out as `evaluation ` / the id / `: ERROR` (Rich folded the word
`id:`, one cell wider than the terminal, before its colon), and a plan's metrics went on at the
left edge (`  PowerController: 0 passed, 0` / `failed, …`; lead's QA of the night of 2026-12-06).
Now a summary too wide for one line is `evaluation <id>` then `status: ERROR`; piped output is
still the one line, for grep."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from tests.cli.canned_api import serve_canned
from tests.cli.conftest import CLEAN_ENV
from tests.cli.test_urls_unbroken import on_terminal, within_terminal

SKILL = "amzn1.ask.skill.summary"
RUN = "5c1e6a3e-2f1d-4e0a-8d7c-9b8a7f6e5d4c"  # 36 characters, as every run id
PLAN = "ThermostatCool_FAHRENHEIT"
METRICS = {"passedTestCases": 3, "failedTestCases": 1, "errorTestCases": 0, "totalTestCases": 4}
RUN_BODY = {"id": RUN, "status": "FAILED", "metrics": {PLAN: METRICS}}


def _answer(method: str, path: str) -> tuple[int, Any]:
    return 200, RUN_BODY


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serve_canned(_answer) as url:
        yield url


def _status(api: str, columns: int) -> list[str]:
    lines = on_terminal("--url", api, "--token", "t", "evaluations", "status", SKILL, RUN, columns=columns)
    return [line.rstrip() for line in lines]


@pytest.mark.parametrize("columns", [36, 50])
def test_a_summary_too_wide_for_a_line_keeps_the_id_whole_and_says_its_status(api: str, columns: int) -> None:
    lines = _status(api, columns)
    assert not [line for line in lines if line.lstrip().startswith(":")], lines
    assert RUN in [line.split()[-1] for line in lines if line], lines
    assert "status: FAILED" in lines, lines
    for line in lines:
        assert within_terminal(line, columns), "\n".join(lines)
    # A plan's metrics go on under the plan, never at the left edge among the summary's lines.
    start = next(index for index, line in enumerate(lines) if line.startswith(f"  {PLAN}:"))
    assert all(line.startswith("    ") for line in lines[start + 1 :] if line), lines
    words = " ".join(lines[start:]).split()
    assert words == f"{PLAN}: 3 passed, 1 failed, 0 errors of 4".split(), lines


def test_a_summary_that_fits_is_one_line(api: str) -> None:
    lines = _status(api, 80)
    assert lines[0] == f"evaluation {RUN}: FAILED", lines
    assert lines[1] == f"  {PLAN}: 3 passed, 1 failed, 0 errors of 4", lines


def test_a_piped_summary_is_one_line_at_any_length(api: str) -> None:
    args = ["--url", api, "--token", "t", "evaluations", "status", SKILL, RUN]
    result = CliRunner().invoke(app, args, env=CLEAN_ENV)
    assert result.exit_code == 1, result.output  # FAILED
    assert result.stdout.splitlines()[0] == f"evaluation {RUN}: FAILED"
