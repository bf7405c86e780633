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
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from localexa.cli.errors import MissingCredentials
from localexa.client import APIConnectionError, APIError, APIStatusError, ConfigurationError

__all__ = [
    "Column",
    "ExitCode",
    "emit",
    "exit_code_for",
    "one_line",
    "print_error",
    "printable",
    "rows_of",
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


def printable(text: str) -> str:
    """`text` with control characters shown as `\\x1b` escapes. A server's words reach a terminal
    here: an ESC in a name or an error message could recolour, retitle or rewrite the terminal."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def one_line(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`printable(text)` on one line (line breaks become spaces), at most `limit` characters."""
    flat = printable(_BREAKS.sub(" ", text.strip()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def print_error(error: Exception, *, as_json: bool) -> None:
    """Status, code, message and request id of `error`, to stderr."""
    status = getattr(error, "status_code", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or str(error)
    request_id = getattr(error, "request_id", None)
    if as_json:
        body = {"status": status, "code": code, "message": message, "requestId": request_id}
        typer.echo(json.dumps({"error": body}), err=True)
        return
    console = _stderr()
    head = one_line(" ".join(str(part) for part in (status, code) if part))
    # The server's words are text, not markup: "[/x]" in a message raised Rich's MarkupError.
    # One line: a server's (or a proxy's) multi-line HTML page as a message flooded the terminal.
    line = f"[bold red]error[/]{' ' + escape(head) if head else ''}: {escape(one_line(str(message)))}"
    console.print(line, markup=True)
    if request_id:
        console.print(f"request id: {one_line(str(request_id))}", markup=False)


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
    """A table column: its header and how to read the cell from a row."""

    header: str
    read: Callable[[Any], Any]

    @classmethod
    def attr(cls, header: str, name: str) -> Column:
        return cls(header, lambda row: getattr(row, name, None))


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


def _table(rows: Sequence[Any], columns: Sequence[Column], title: str | None) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column.header, overflow="fold")
    for row in rows:
        # Text, not str: Rich reads a str cell as markup, so "[redacted]" showed as "" and a name
        # like "[/x]" crashed the command.
        table.add_row(*(Text(_cell(column.read(row))) for column in columns))
    return table


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
        typer.echo(printable(text))
        return
    console = _stdout()
    if isinstance(value, list) and columns is not None:
        console.print(_table(value, columns, title))
        return
    pairs = _fields(value)
    console.print(_table(pairs, [Column("field", lambda p: p[0]), Column("value", lambda p: p[1])], title))


def rows_of(values: Iterable[Any], limit: int | None) -> list[Any]:
    """At most `limit` items of a (lazy) pager."""
    rows: list[Any] = []
    for item in values:
        if limit is not None and len(rows) >= limit:
            break
        rows.append(item)
    return rows
