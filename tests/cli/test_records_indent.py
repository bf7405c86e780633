"""A record's value printed below its header fits the terminal, its indent counted
(cli/unbroken.py): the two cells of the indent were left out of the first line's width, which
came out two cells too wide, and the terminal cut its last word (re-verification of the night of
2026-12-06: a 50-column terminal printed a 52-column line)."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from localexa.cli.records import print_records
from localexa.cli.unbroken import print_unbroken
from tests.cli.test_urls_unbroken import within_terminal

NAME = "Wolfeschlegelsteinhausenbergerdorffvoralter abcdef"


@pytest.mark.parametrize("columns", [36, 50])
def test_no_line_is_wider_than_the_terminal(columns: int) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=columns, color_system=None)
    reason = "Alexa.PowerController.powerState was not reported by the skill in its answer"
    print_records(console, ["Name", "Actual vs expected"], [[NAME, reason]], None)
    lines = out.getvalue().splitlines()
    assert lines, out.getvalue()
    for line in lines:
        # Only a word longer than the terminal may pass the edge, alone on its line.
        assert within_terminal(line, columns), "\n".join(lines)
    # Nothing lost: every word is printed whole.
    words = " ".join(lines).split()
    for word in (NAME + " " + reason).split():
        assert word in words, word


PLAN_ID = "6297dce5-acac-5b43-8516-61a3085f7991"  # 36 characters, as every UUID
WIDE_NAME = "東京都渋谷区神南一丁目株式会社ライト"  # 18 characters, 36 cells


@pytest.mark.parametrize("value", [PLAN_ID, PLAN_ID[:-1], WIDE_NAME, f"{PLAN_ID} {PLAN_ID}"])
def test_a_word_that_fits_the_terminal_is_not_indented_past_its_edge(value: str) -> None:
    """On 36 columns a 35- or 36-cell word (a plan id, a request id, a run id) printed below its
    header with the two-cell indent ran past the edge, and the terminal put its last characters at
    the left edge among the headers (`  6297dce5-…-61a3085f79` then `91`; re-verification D1 of the
    night of 2026-12-06). Printed now without the indent, whole, within the terminal."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=36, color_system=None)
    print_records(console, ["name", "id"], [["BrightnessController", value]], None)
    lines = out.getvalue().splitlines()
    for line in lines:
        assert cell_len(line) <= 36, "\n".join(lines)
    for word in value.split():
        assert word in [line.strip() for line in lines], lines


def test_an_indented_paragraph_drops_its_indent_only_for_a_word_that_needs_it() -> None:
    """print_unbroken's continuation indent (a plan's counts under the plan, four cells) likewise."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=36, color_system=None)
    print_unbroken(console, Text(f"  Plan: {PLAN_ID[:34]} of 4 and more"), indent="    ")
    assert out.getvalue().splitlines() == ["  Plan:", PLAN_ID[:34], "    of 4 and more"]
