"""Error lines whose words are never cut: a URL, a path or an id stays whole on one line.

Rich wraps a line to the terminal's width and folds a word longer than what is left of the line
at any character, so on a terminal of 50 columns `NO_SUCH_SKILL_STAGE: … enable it (PUT
/v1/skills/amzn1.ask.skill.9d3c…/stages/development/enablement)` came out with a line break in
the middle of the path (rev4 QA), which a person can neither copy nor click. Here a line breaks
only at spaces; a word longer than the terminal is alone on its line, with no break in it, and
the terminal shows the rest of it on the next row as it shows any long line (copying it gives
the word whole). A word that fits the terminal but not after a line's indent is printed without
the indent, so no line is wider than the terminal while every word fits it. Output that is no
terminal is not wrapped at all: one line, for grep.
"""

from __future__ import annotations

import re

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

__all__ = ["fits_unbroken", "print_lines", "print_unbroken"]

_WORD = re.compile(r"\S+\s*")


def _breaks(plain: str, width: int, indent: int) -> list[int]:
    """Offsets in `plain` to break at: greedy, at spaces only, never inside a word."""
    offsets: list[int] = []
    # Cells on the current line: a paragraph's own leading indent (a record's value below its
    # header) takes its cells too; uncounted, such a first line came out two cells too wide, and
    # the terminal cut its last word (re-verification of the night of 2026-12-06).
    used = cell_len(plain) - cell_len(plain.lstrip(" "))
    words = 0  # on the current line: the first word of a line is never moved to the next
    for match in _WORD.finditer(plain):
        word = match.group().rstrip()
        if words and used + cell_len(word) > width:
            offsets.append(match.start())
            used, words = indent, 0
        used += cell_len(match.group())
        words += 1
    return offsets


def print_unbroken(console: Console, text: Text, *, indent: str = "") -> None:
    """`text` (one paragraph) on `console`, broken only at spaces to fit a terminal's width, each
    line after the first starting with `indent`."""
    if not console.is_terminal:
        console.print(text, soft_wrap=True)  # no wrapping, no cropping
        return
    lines = text.divide(_breaks(text.plain, console.width, cell_len(indent)))
    for number, line in enumerate(lines):
        line.rstrip()
        # soft_wrap: Rich neither folds nor crops the line; one longer than the terminal is the
        # terminal's to show on more rows, without a line break in it.
        console.print(_fitted(Text(indent) + line if number else line, console.width), soft_wrap=True)


def _fitted(line: Text, width: int) -> Text:
    """`line` without its indent when only the indent keeps it from fitting `width`: its word then
    fits the terminal unindented (a line too wide holds one word, see `_breaks`). On 36 columns a
    36-cell id below its header ran two cells past the edge, and the terminal put its last two
    characters at the left edge, among the headers (re-verification D1 of the night of
    2026-12-06). A word wider than the terminal keeps the indent: no line holds it anyway."""
    plain = line.plain
    indent = len(plain) - len(plain.lstrip(" "))
    if 0 < indent < len(plain) and cell_len(plain) > width >= cell_len(plain) - indent:
        return line.divide([indent])[1]
    return line


def fits_unbroken(message: str, width: int) -> bool:
    """Whether every word of `message` (a URL with its quotes, a file path, an id) fits a line
    `width` cells wide: Rich folds a longer one at any character. Until 2026-12-06 (evening) only
    the URL was measured, its closing quote in but not its opening one, so a quoted URL one cell
    too wide kept the box and lost its closing quote to the next line, and a long `--tlv-file`
    or `--ca-file` path was cut inside the box (revB QA)."""
    return all(cell_len(word) <= width for word in message.split())


def print_lines(text: str, *, err: bool = False) -> None:
    """Plain `text` (no markup) on stdout, or stderr when `err`, each of its lines broken at spaces
    only on a terminal. Lines printed as they were (`skill status`, a `thread export` note, the
    CLI's own errors) were cut by the terminal at its edge, inside a skill id (cliq QA)."""
    console = Console(stderr=err, highlight=False)
    if not console.is_terminal:
        # As it is, for grep: Rich would expand a tab (a Thread network name may hold one).
        typer.echo(text, err=err)
        return
    for line in text.split("\n"):
        print_unbroken(console, Text(line))
