"""A record's value printed below its header fits the terminal, its indent counted
(cli/unbroken.py): the two cells of the indent were left out of the first line's width, which
came out two cells too wide, and the terminal cut its last word (re-verification of the night of
2026-12-06: a 50-column terminal printed a 52-column line)."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from rich.console import Console

from localexa.cli.records import print_records

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
        # Only a word longer than any line may pass the edge, alone on its line (the terminal wraps it).
        assert cell_len(line) <= columns or len(line.split()) == 1, "\n".join(lines)
    # Nothing lost: every word is printed whole.
    words = " ".join(lines).split()
    for word in (NAME + " " + reason).split():
        assert word in words, word
