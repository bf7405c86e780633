"""Rows too wide for a table, each printed as `header  value` lines (output.py falls back to them).

A value is never wrapped by Rich, which folds a word at any character. Every value is wrapped
here instead, only at spaces, as the CLI's error lines are (unbroken.py): beside its header,
each line after the first under the value's first character, when its every word fits there;
else on the lines below the header, indented by two (a word that fits the terminal only without
the indent goes without it: a 36-character id on 36 columns ran two cells past the edge until the
night of 2026-12-06, re-verification D1). A value used to run past the terminal's
edge, which cut its words anywhere (`…AEXAM` then `PLE0123…`, QA of 2026-12-06), its second line
at the left edge, under the headers; until 2026-12-06 (night) only the values of `evaluations`'
"Actual vs expected" were kept whole, so a directive (`Alexa.BrightnessController.Adju` then
`stBrightness`), a test case name or an id beside its header still ran past the edge (revn QA).
A word longer than the whole line is alone on its line, with no break in it (the terminal's to
show on more rows). Output that is no terminal is not wrapped at all: `header  value`, for grep.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from localexa.cli.unbroken import print_unbroken

__all__ = ["print_records"]

#: The indent of a value printed below its header.
_BELOW = "  "


def _print_whole_words(console: Console, label: str, value: str) -> None:
    """`label` (its header, padded) and `value`, broken only at spaces (see the module docstring)."""
    hanging = " " * cell_len(label)
    lines = value.splitlines() or [""]
    room = console.width - cell_len(hanging)
    if not console.is_terminal or all(cell_len(word) <= room for word in value.split()):
        for number, line in enumerate(lines):
            print_unbroken(console, Text((hanging if number else label) + line), indent=hanging)
        return
    console.print(Text(label.rstrip()), soft_wrap=True)
    for line in lines:
        print_unbroken(console, Text(_BELOW + line), indent=_BELOW)


def print_records(
    console: Console,
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    title: str | None,
) -> None:
    """Each row as `header  value` lines, a blank line between rows, every value's words whole."""
    if title:
        console.print(Text(title, style="italic"))
    pad = max(cell_len(header) for header in headers)
    for index, row_cells in enumerate(cells):
        if index:
            console.print()
        for header, cell in zip(headers, row_cells, strict=True):
            _print_whole_words(console, f"{header.ljust(pad)}  ", cell)
