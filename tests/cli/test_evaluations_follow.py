"""`evaluations run` following a run that does not end: `--poll` never sleeps past `--timeout`
(`--poll 100 --timeout 1` slept the 100 s), and giving up is the code TIMEOUT, exit 6, in one
JSON object under `--json` with the run's id (it was a text line on stdout and exit 1, the same
as a failed run, and under `--json` the id was nowhere; rev1 QA F1, F5)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from localexa.cli.main import app
from tests.cli.canned_api import serve_canned
from tests.cli.conftest import CLEAN_ENV

SKILL = "amzn1.ask.skill.6d3f52a4-5b0e-4c57-9a3b-0f3c2f7f9e11"
RUN = "5c1e6a3e-2f1d-4e0a-8d7c-9b8a7f6e5d4c"


def _answer(method: str, path: str) -> tuple[int, Any]:
    """A run that stays IN_PROGRESS."""
    if method == "POST":
        return 200, {"id": RUN}
    if path.endswith("/capabilityTestPlans"):
        return 200, {"testPlans": [{"id": "plan-1", "name": "PowerController"}]}
    return 200, {"status": "IN_PROGRESS", "metrics": {}}


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serve_canned(_answer) as url:
        yield url


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every pause `follow` takes (each really taken)."""
    pauses: list[float] = []
    real = time.sleep

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        real(seconds)

    monkeypatch.setattr(time, "sleep", sleep)  # the module's `time` (evaluations.py)
    return pauses


def run(api: str, *extra: str) -> Result:
    args = ["--url", api, "--token", "t", "evaluations", "run", SKILL, "--plan", "PowerController"]
    return CliRunner().invoke(app, [*args, "--endpoint", "kitchen", *extra], env=CLEAN_ENV)


def test_a_pause_never_runs_past_the_timeout(api: str, slept: list[float]) -> None:
    # The timeout leaves the first status call time to answer before it: with 0.3 s, a status
    # answer 0.4 s late (a loaded machine) left no time to pause, and nothing was checked.
    result = run(api, "--poll", "100", "--timeout", "3", "--json")
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert slept, "it gave up before any pause"
    assert all(0 < pause <= 3 for pause in slept), slept


def test_giving_up_under_json_is_one_json_object_with_the_run(api: str, slept: list[float]) -> None:
    result = run(api, "--poll", "0.05", "--timeout", "0.2", "--json")
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "TIMEOUT"
    assert error["status"] is None
    assert error["requestId"] is None
    assert error["evaluationId"] == RUN
    assert error["evaluationStatus"] == "IN_PROGRESS"
    assert f"localexa evaluations status {SKILL} {RUN}" in error["message"]


def test_giving_up_says_so_on_stderr_with_exit_6(api: str, slept: list[float]) -> None:
    """Exit 6, not the 1 of a run that ended FAILED: a script can tell them apart."""
    result = run(api, "--poll", "0.05", "--timeout", "0.2")
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert f"started evaluation {RUN}" in result.stdout
    assert result.stderr.startswith(f"error: evaluation {RUN} still IN_PROGRESS after 0.2 s"), result.stderr


@pytest.mark.parametrize("poll", ["inf", "1e308", "86401"])
def test_a_pause_time_cannot_overflow(api: str, poll: str) -> None:
    """`--poll inf` and `1e308` went on to time.sleep: an OverflowError traceback, the run left going."""
    result = run(api, "--poll", poll, "--timeout", "0.2")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "give 0 to 86400" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_text_mode_leaves_no_empty_line_of_the_progress_bar(api: str, slept: list[float]) -> None:
    """Piped (not a terminal), the transient progress bar left an empty line on stdout after
    "started evaluation …" until 2026-12-06 (rev3 QA); under --json it was already gone."""
    result = run(api, "--poll", "0.05", "--timeout", "0.2")
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert "\n\n" not in result.stdout, repr(result.stdout)
    assert result.stdout.splitlines() == [f"started evaluation {RUN}"], repr(result.stdout)
