"""Usage errors in the CLI's own words, each with a stable code for `--json` (README "Exit codes").

Typer converts option and argument values with pydantic, so a bad value read as pydantic says it:
`admin journal get abc` answered "Input should be a valid integer, unable to parse string as an
integer" and `admin faults create --status 99` "Input should be greater than or equal to 400"
(QA of 2026-12-06). `in_own_words` rewrites such an error as the CLI's other usage errors are
worded (`'XX' is no region: give NA, EU or FE.`); `usage_code` names each kind of usage error
(`"code"` was null under `--json`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from typer import _click as click  # Typer ships its own Click; its classes live here
from typer._click import exceptions as errors

__all__ = [
    "OWN_CODES",
    "USAGE_CODES",
    "in_own_words",
    "print_usage_error_as_json",
    "shown_without_box",
    "usage_code",
]

#: Every code a usage error (exit 2) can carry under `--json`, and what it means (README).
USAGE_CODES = {
    "NO_SUCH_COMMAND": "a command that does not exist (`localexa admin custmers`)",
    "NO_SUCH_OPTION": "an option the command does not have (`--bogus`)",
    "MISSING_PARAMETER": "a required option or argument was not given",
    "BAD_OPTION_USAGE": "an option without its value (`--limit` at the end)",
    "UNEXPECTED_ARGUMENT": "more arguments than the command takes",
    "INVALID_VALUE": "a value the option or argument does not take (`--status 99`, an id `..`)",
    "USAGE_ERROR": "any other misuse of the command line",
}

#: The codes of the CLI's other errors of its own (README "Exit codes"): none is the API's.
OWN_CODES = {
    "MISSING_CREDENTIALS": "no token or admin key to send (exit 4)",
    "NETWORK_NOT_FOUND": "`thread export`: no stored network matches (exit 3)",
    "INCOMPLETE_DATASET": "`thread export`: the stored network makes no complete dataset (exit 2)",
    "NO_CONNECTION": "no answer: connection refused or closed, TLS failure, no HTTP (exit 6)",
    "TIMEOUT": "no answer in time, or `evaluations run` gave up on a run still IN_PROGRESS (exit 6)",
    "INVALID_RESPONSE": "a 2xx that is no answer of the API: HTML, not JSON, the wrong shape (exit 6)",
}


def _number(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _range(low: Any, high: Any) -> str | None:
    if low is not None and high is not None:
        return f"give {_number(low)} to {_number(high)}"
    if low is not None:
        return f"give {_number(low)} or more"
    if high is not None:
        return f"give {_number(high)} or less"
    return None


def _not_finite(shown: str, number: float, wanted: str | None, param: click.Parameter | None) -> str:
    """The words for `inf`, `-inf`, `nan` (or `1e999`, which is `inf`) out of an option's range.
    They said "'inf' is no number" until 2026-12-06, which is false: Python reads each as a float.
    An option with no upper bound takes `inf` (`evaluations run --timeout inf`: never give up),
    so there `-inf` is merely out of range and `nan` no number at all."""
    tail = f": {wanted}." if wanted else "."
    if getattr(param, "max", None) is None:
        what = "is not a number" if math.isnan(number) else "is out of range"
        return f"{shown} {what}{tail}"
    return f"{shown} is not a finite number{tail}"


def _said(kind: str, given: Any, param: click.Parameter | None) -> str:
    """The CLI's words for pydantic's error `kind` about the value `given`."""
    wanted = _range(getattr(param, "min", None), getattr(param, "max", None))
    shown = repr(given) if isinstance(given, str) else str(given)
    if kind.startswith("int_") or kind.startswith("float_"):
        what = "whole number" if kind.startswith("int_") else "number"
        if kind in ("float_parsing", "int_parsing") or not isinstance(given, int | float):
            return f"{shown} is no {what}" + (f": {wanted}." if wanted else ".")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than", "finite_number"):
        if not _finite(given):  # `inf`, `nan` and `1e999` parse: numbers, but no finite ones
            return _not_finite(shown, float(given), wanted, param)
        return f"{str(given).strip()} is out of range" + (f": {wanted}." if wanted else ".")
    if kind.startswith("bool_"):
        return f"{shown} is neither true nor false: give true or false (yes/no, on/off, 1/0)."
    return f"{shown} is not a value {getattr(param, 'name', None) or 'this option'} takes."


def in_own_words(error: click.ClickException) -> click.ClickException:
    """`error`, its message in the CLI's words when it was pydantic's (the same object)."""
    from pydantic import ValidationError  # here: group.py loads this module for every command

    cause = error.__cause__
    if isinstance(error, errors.BadParameter) and isinstance(cause, ValidationError):
        problems = cause.errors()
        if problems:
            problem = problems[0]
            error.message = _said(str(problem["type"]), problem.get("input"), error.param)
    return error


def usage_code(error: click.ClickException) -> str:
    """The stable code of a usage error (a key of USAGE_CODES)."""
    if isinstance(error, errors.MissingParameter):
        return "MISSING_PARAMETER"
    if isinstance(error, errors.BadParameter):
        return "INVALID_VALUE"
    if isinstance(error, errors.NoSuchOption):
        return "NO_SUCH_OPTION"
    if isinstance(error, errors.BadOptionUsage):
        return "BAD_OPTION_USAGE"
    message = error.format_message()
    if message.startswith("No such command"):
        return "NO_SUCH_COMMAND"
    if message.startswith("Got unexpected extra argument"):
        return "UNEXPECTED_ARGUMENT"
    return "USAGE_ERROR"


def print_usage_error_as_json(error: click.ClickException) -> None:
    """A usage error as the one JSON object on stderr that API errors are under `--json`."""
    body = {
        "status": None,
        "code": usage_code(error),
        "message": in_own_words(error).format_message(),
        "requestId": None,
    }
    click.echo(json.dumps({"error": body}), err=True)


#: What Typer's error box takes from a line: its border and a space on each side.
_BOX_FRAME = 4


def shown_without_box(error: click.ClickException) -> bool:
    """Print `error` as Click does, without Typer's box, when the box would cut a word in it (a
    URL, a file path) or the output is no terminal (True): the box folds a word wider than itself
    at any character, so `--url` with a long URL showed that URL broken over two lines (rev4 QA),
    and piped, the box was drawn 80 columns wide, where other errors are one line for grep (revB
    QA). The lines are Typer's but for the box: the usage, where to get help, and `Error: …`
    broken only at spaces on a terminal, on one line otherwise (unbroken.py)."""
    from rich.console import Console
    from rich.text import Text

    from localexa.cli.unbroken import fits_unbroken, print_unbroken

    console = Console(stderr=True, highlight=False)
    message = error.format_message()
    if not message:  # `localexa admin` alone: its help is printed, as Typer prints it (no box)
        return True  # piped, an empty `Error: ` line followed it (cliq QA)
    if console.is_terminal and fits_unbroken(message, console.width - _BOX_FRAME):
        return False
    ctx: click.Context | None = getattr(error, "ctx", None)
    if ctx is not None:
        console.print(ctx.get_usage(), markup=False, soft_wrap=True)
        if ctx.command.get_help_option(ctx) is not None:
            hint = f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help."
            console.print(hint, markup=False, soft_wrap=True)
    print_unbroken(console, Text.assemble(("Error", "bold red"), f": {message}"))
    return True
