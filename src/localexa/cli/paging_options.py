"""`--limit N` and `--after …` of the commands that print a listing one page at a time, and the
"next page" hint they print on stderr.

The admin listings (listing.py: `--after ID`, at most 1000) and the evaluation listings
(evaluations list|results|plans: `--after TOKEN`, at most 50) differ only in the bound and in what
`--after` names: each builds its options here, so the words and the checks are the same (exit 2
and the bounds for an N out of them, before any request). Without `--limit` a command prints
every item; with it one page and, while more follow, the command of the next page on stderr, so
stdout holds only the page.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

import typer

from localexa.cli.output import printable
from localexa.cli.unbroken import print_lines
from localexa.client import Page, SyncPager

T = TypeVar("T")


def limit_option(maximum: int) -> Any:
    """The `--limit` of a listing whose server pages by at most `maximum`."""
    return typer.Option(
        min=1,
        max=maximum,
        help=f"Print one page of at most this many (1-{maximum}), then how to get the next.",
    )


def after_option(help: str, metavar: str) -> Any:
    """The `--after` of a listing: `help` says what it names (an id, a page token)."""
    return typer.Option(help=help, metavar=metavar)


#: `--after TOKEN` of the evaluation listings: the API's opaque `nextToken`.
TokenAfterOption = Annotated[
    str | None,
    after_option("Start at this page token (the previous page's hint names it).", "TOKEN"),
]


def read_page(pager: SyncPager[T], limit: int | None) -> Page[T]:
    """Every item as one page (no next), or the first page of at most `limit`: the pager was
    asked for that page size and the `--after` token."""
    if limit is None:
        return Page(items=list(pager))
    return pager.first_page()


def shell_word(value: str) -> str:
    """A value as one shell word, control characters escaped (a token is the server's text)."""
    return shlex.quote(printable(value))


def print_next_page(command: Sequence[str], limit: int | None, after: str) -> None:
    """`next page: COMMAND --limit N --after AFTER` on stderr. `command` and `after` are the words
    as they should be printed (shell-quoted where their values need it)."""
    print_lines(f"next page: {' '.join(command)} --limit {limit} --after {after}", err=True)
