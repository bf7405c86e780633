"""How the CLI answers: Rich tables for people, `--json` for scripts, exit codes scripts can trust.

| exit | meaning |
|---|---|
| 0 | done |
| 1 | the API refused the call (any other 4xx: 400 bad request, 413, 429, ...) |
| 2 | usage: a bad option or argument, an unreadable file, bad JSON or TLV (Click's own code) |
| 3 | not found (404), e.g. an unknown skill, or `skill status` of a stage that is not enabled |
| 4 | authentication or permission (401, 403), or no token / admin key to send |
| 5 | conflict (409), e.g. a Thread network that already exists; 412, a stale If-Match |
| 6 | server error (5xx), or no answer at all (connection refused, timeout, TLS failure) |
| 7 | done, but the output is lost: stdout could not be written (stdout_guard.py) |

An API error prints its status, code, message and request id (`X-Amzn-RequestId`, to find the
call in `localexa admin journal list --request-id`) to stderr; as one JSON object with `--json`.
JSON output is the API's own camelCase wire shape: the fields the answer had, no others.
"""

from __future__ import annotations

import enum
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import typer
from pydantic import BaseModel
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from localexa.cli.errors import MissingCredentials
from localexa.cli.records import print_records
from localexa.cli.stdout_guard import OUTPUT_LOST_EXIT
from localexa.cli.unbroken import print_lines, print_unbroken
from localexa.client import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
)
from localexa.client.messages import UNTRUSTED_CA_FIX

__all__ = [
    "Column",
    "ExitCode",
    "emit",
    "exit_code_for",
    "one_line",
    "print_cli_error",
    "print_error",
    "print_table",
    "printable",
    "rows_of",
    "stdout_console",
    "to_jsonable",
]


class ExitCode(enum.IntEnum):
    OK = 0
    API_ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    AUTH = 4
    CONFLICT = 5
    UNAVAILABLE = 6
    OUTPUT_LOST = OUTPUT_LOST_EXIT


def exit_code_for(error: Exception) -> ExitCode:
    """The exit code of a failed command (the table in this module's docstring)."""
    if isinstance(error, MissingCredentials):
        return ExitCode.AUTH
    if isinstance(error, ConfigurationError):
        return ExitCode.USAGE
    if isinstance(error, APIConnectionError):
        return ExitCode.UNAVAILABLE
    if isinstance(error, APIStatusError):
        status = error.status_code
        if status in (401, 403):
            return ExitCode.AUTH
        if status == 404:
            return ExitCode.NOT_FOUND
        if status in (409, 412):  # 412: a stale If-Match, another writer's version won
            return ExitCode.CONFLICT
        if status >= 500:
            return ExitCode.UNAVAILABLE
        return ExitCode.API_ERROR
    if isinstance(error, APIError):  # a 2xx body that does not parse
        return ExitCode.UNAVAILABLE
    return ExitCode.API_ERROR


#: C0 and C1 control characters and DEL, but tab and newline (which `printable` keeps).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"\s*[\r\n\t]\s*")
#: An error line longer than this is cut: a proxy's HTML error page is not worth a screenful.
MAX_ERROR_CHARS = 500
#: The client's fix for an untrusted CA in the CLI's options (an https:// --url trusts the
#: `tls/ca.pem` of --data-dir, context.py).
CLI_UNTRUSTED_CA_FIX = "give --ca-file <its ca.pem>, or the --data-dir of the localexa serving it"


def printable(text: str) -> str:
    """`text` with control characters shown as `\\x1b` escapes. A server's words reach a terminal
    here: an ESC in a name or an error message could recolour, retitle or rewrite the terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def one_line(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`printable(text)` on one line (line breaks become spaces), at most `limit` characters."""
    flat = printable(_BREAKS.sub(" ", text.strip()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _stderr() -> Console:
    # stderr=True, not file=sys.stderr: with stderr closed (`2>&-`, None) Rich took file=None for
    # stdout, and an API error landed in the output a script captured (cliq QA).
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _own_code(error: Exception) -> str | None:
    """The `--json` code of an error the CLI or the client finds itself, before, instead of or
    after a call (README "Exit codes"); None for an API's refusal, whose code is the API's (or
    none: a 404 page of another server)."""
    if isinstance(error, MissingCredentials):
        return "MISSING_CREDENTIALS"
    if isinstance(error, ConfigurationError):  # an id `..`, a URL that is none: a usage error
        return "INVALID_VALUE"
    if isinstance(error, APITimeoutError):
        return "TIMEOUT"
    if isinstance(error, APIConnectionError):  # refused, reset, TLS, no HTTP at all
        return "NO_CONNECTION"
    if isinstance(error, APIResponseValidationError):  # a 2xx that is no answer of the API
        return "INVALID_RESPONSE"
    return None


def print_error(error: Exception, *, as_json: bool) -> None:
    """Status, code, message and request id of `error`, to stderr."""
    status = getattr(error, "status_code", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or str(error)
    if isinstance(error, APIConnectionError):  # the client names its argument, the CLI its options
        message = message.replace(UNTRUSTED_CA_FIX, CLI_UNTRUSTED_CA_FIX)
    if isinstance(error, ConfigurationError) and message.startswith("endpoint= "):  # `--endpoint x`
        message = "--endpoint " + message.removeprefix("endpoint= ")
    request_id = getattr(error, "request_id", None)
    if as_json:
        # The CLI's own errors have no API code; `"code"` was null for them until 2026-12-06.
        code = code if code is not None else _own_code(error)
        body = {"status": status, "code": code, "message": message, "requestId": request_id}
        typer.echo(json.dumps({"error": body}), err=True)
        return
    console = _stderr()
    head = one_line(" ".join(str(part) for part in (status, code) if part))
    # The server's words are text, not markup: "[/x]" in a message raised Rich's MarkupError.
    # One line: a server's (or a proxy's) multi-line HTML page as a message flooded the terminal.
    line = f"[bold red]error[/]{' ' + escape(head) if head else ''}: {escape(one_line(str(message)))}"
    print_unbroken(console, Text.from_markup(line))  # a URL in it is never cut (unbroken.py)
    if request_id:  # at a space only: a narrow terminal cut the id in two (cliq QA)
        print_unbroken(console, Text(f"request id: {one_line(str(request_id))}"))


def print_cli_error(message: str, code: str, *, as_json: bool, extra: dict[str, str] | None = None) -> None:
    """An error the CLI finds itself (a code of usage_errors.OWN_CODES): `error: message` on
    stderr, or the one JSON object of an API error under `--json` (it printed the line then too
    until 2026-12-06), with the fields of `extra` after its four (`evaluationId`, …)."""
    if as_json:
        body = {"status": None, "code": code, "message": message, "requestId": None, **(extra or {})}
        typer.echo(json.dumps({"error": body}), err=True)
        return
    print_lines(f"error: {printable(message)}", err=True)


# -- output --------------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Models as their camelCase wire shape, as the API sent them; lists and dicts of them likewise.

    The client's models are validated from the answer's JSON, so a field the answer left out is
    unset and stays out (`exclude_unset`): `--json` printed `"error": null` for every PASSED test
    case, and nulls or defaults (`passedTestCases: 0`) for whatever the API did not send. A null
    the API did send is set, and printed."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Column:
    """A table column: its header, how to read the cell from a row, and whether its cells are ids
    (`identifier`: for every row, or for the rows a function picks), which are never wrapped.
    Other cells wrap at spaces only, their words whole (`_column_widths`)."""

    header: str
    read: Callable[[Any], Any]
    identifier: bool | Callable[[Any], bool] = False
    #: A Rich style for the row's cell (a status in its colour); the text stays text, not markup.
    style: Callable[[Any], str] | None = None

    @classmethod
    def attr(cls, header: str, name: str, *, identifier: bool = False) -> Column:
        return cls(header, lambda row: getattr(row, name, None), identifier)

    def keeps_whole(self, row: Any) -> bool:
        return self.identifier(row) if callable(self.identifier) else self.identifier

    def style_of(self, row: Any) -> str:
        return self.style(row) if self.style is not None else ""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return printable(str(value))


def _stdout() -> Console:
    # Piped output is never wrapped (an id cut in two is useless to grep); a terminal wraps.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 4096)


def stdout_console() -> Console:
    """The console every command prints its tables and lines to (its width rules: `_stdout`)."""
    return _stdout()


# Width a table adds to its cells: Rich's default box (a border before each column and after the
# last, a space each side of a cell), or no box (two spaces between columns).
def _boxed_frame(columns: int) -> int:
    return 3 * columns + 1


def _bare_frame(columns: int) -> int:
    return 2 * (columns - 1)


def _text_width(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


#: A wrapped column narrower than this is a ribbon of fragments (a path 5 wide): rows print as
#: records instead.
_READABLE = 12


def _column_widths(
    columns: Sequence[Column], cells: Sequence[Sequence[str]], whole: Sequence[Sequence[bool]], available: int
) -> list[int] | None:
    """Content widths of the columns, `available` columns in all: an id cell (`whole`) and a
    header keep their full width, other cells wrap (to no less than `_READABLE`, nor than their
    longest word); the widest shrinks first. None when that does not fit.

    Every column is given its longest word: Rich folds a word longer than its column at any
    character. Until the night of 2026-12-06 only "Actual vs expected" was, so `evaluations plans`
    on 50 columns printed `BrightnessCo` / `ntroller`, and `admin customers list` on 80
    `demo@localexa` / `.test` (lead's QA)."""
    natural, floors = [], []
    for index, described in enumerate(columns):
        column = [row[index] for row in cells]
        kept = [
            _text_width(cell) for cell, keep in zip(column, (w[index] for w in whole), strict=True) if keep
        ]
        kept += [cell_len(word) for cell in column for word in cell.split()]
        natural.append(max([cell_len(described.header), *(_text_width(cell) for cell in column)]))
        floors.append(max([cell_len(described.header), min(natural[-1], _READABLE), *kept]))
    if sum(floors) > available:
        return None
    widths = list(natural)
    for _ in range(sum(widths) - available):
        shrinkable = [index for index, w in enumerate(widths) if w > floors[index]]
        widths[max(shrinkable, key=lambda index: widths[index])] -= 1
    return widths


def _print_table(console: Console, rows: Sequence[Any], columns: Sequence[Column], title: str | None) -> None:
    """A table in the console's width. Ids are never wrapped and headers never split (an 80-column
    terminal folded `amzn1.account.…` over three lines and `remaining` into "remainin"/"g" until
    2026-12-06); when the ids do not fit side by side, each row prints as `header  value` lines."""
    if not rows:
        # Said in words at any width: an empty table too wide for the terminal printed only its
        # title (`Skills` on 36 columns), as if the rest were lost (lead's QA of 2026-12-06).
        console.print(Text(f"{title}: none" if title else "none"), soft_wrap=True)
        return
    headers = [column.header for column in columns]
    cells = [[_cell(column.read(row)) for column in columns] for row in rows]
    whole = [[column.keeps_whole(row) for column in columns] for row in rows]
    boxed = True
    widths = _column_widths(columns, cells, whole, console.width - _boxed_frame(len(columns)))
    if widths is None:  # no box: two spaces between columns, as `ls -l` and `kubectl get`
        boxed = False
        widths = _column_widths(columns, cells, whole, console.width - _bare_frame(len(columns)))
    if widths is None:
        if columns is FIELD_COLUMNS:  # one object: each field heads its value (`aud  amzn1.…`)
            headers, cells = [row[0] for row in cells], [[row[1] for row in cells]]
        print_records(console, headers, cells, title)
        return
    table = Table(title=title, title_justify="left")
    if not boxed:
        table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    for column, column_width in zip(columns, widths, strict=True):
        table.add_column(column.header, width=column_width, overflow="fold")
    for row, row_cells in zip(rows, cells, strict=True):
        # Text, not str: Rich reads a str cell as markup, so "[redacted]" showed as "" and a name
        # like "[/x]" crashed the command.
        styles = (column.style_of(row) for column in columns)
        table.add_row(*(Text(cell, style=style) for cell, style in zip(row_cells, styles, strict=True)))
    console.print(table)


def print_table(console: Console, rows: Sequence[Any], columns: Sequence[Column], title: str | None) -> None:
    """`rows` as `emit` prints a list, on `console` (for a command that prints more than a table
    on the same console, as `evaluations run` prints its summary and progress)."""
    _print_table(console, rows, columns, title)


def _fields(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, BaseModel):
        return [(k, v) for k, v in value.model_dump(by_alias=True).items()]
    if isinstance(value, dict):
        return list(value.items())
    return [("value", value)]


def emit(
    value: Any,
    *,
    as_json: bool,
    columns: Sequence[Column] | None = None,
    title: str | None = None,
    quiet: str | None = None,
    text: str | None = None,
) -> None:
    """Print `value`: as JSON with `--json`; else `quiet` alone (for `$(...)`) when given; else
    `text`; else a table (a list with `columns`) or a field/value table (one object)."""
    if as_json:
        typer.echo(json.dumps(to_jsonable(value), indent=2))
        return
    if quiet is not None:
        typer.echo(printable(quiet))
        return
    if text is not None:
        print_lines(printable(text))  # at spaces only on a terminal, as error lines (unbroken.py)
        return
    console = _stdout()
    if isinstance(value, list) and columns is not None:
        _print_table(console, value, columns, title)
        return
    _print_table(console, _fields(value), FIELD_COLUMNS, title)


def _is_id_field(pair: tuple[str, Any]) -> bool:
    return pair[0] == "id" or pair[0].endswith("Id")


#: One object as a field/value table; the value of an id field (`userId`, `id`) is never wrapped.
FIELD_COLUMNS = [
    Column("field", lambda p: p[0], identifier=True),
    Column("value", lambda p: p[1], _is_id_field),
]


def rows_of(values: Iterable[Any], limit: int | None) -> list[Any]:
    """At most `limit` items of a (lazy) pager."""
    rows: list[Any] = []
    for item in values:
        if limit is not None and len(rows) >= limit:
            break
        rows.append(item)
    return rows
