"""README walk-through, "From the command line": `run` and `results` of a run that ended before
its first test case (an unknown plan, a failed discovery) printed an empty "Test cases" table."""

from __future__ import annotations

import io

from rich.console import Console

from localexa.cli.evaluations import print_results
from localexa.client.types.evaluations import TestCaseResult


def printed(results: list[TestCaseResult]) -> str:
    out = io.StringIO()
    print_results(results, Console(file=out, width=120, highlight=False))
    return out.getvalue()


def test_no_results_say_no_test_case_ran() -> None:
    assert printed([]).strip() == "no test case ran"
