"""The `localexa` command's entry point (`[project.scripts]`), and `python -m localexa`'s.

Importing the command line (Typer, Click, Rich, localexa's own modules) takes a few hundred
milliseconds; Ctrl-C in that time raised KeyboardInterrupt out of an import and Python printed
its traceback (serveleft's check of 2026-12-07). This module imports nothing heavy itself, so an
interrupt while the rest loads ends the process as an interrupted command does: exit 130, the
shell's code for SIGINT, without a traceback. Once the command runs, its own handling applies
(`localexa serve`'s stop, Click's for the others). What comes before this module runs is
Python's own start-up and the `localexa` package's (kept light: `_httpx_cli.py` no longer
imports `importlib.abc`, ~20 ms): an interrupt in those first tens of milliseconds is Python's.
"""

from __future__ import annotations

import sys

#: 128 + SIGINT: what a shell shows for a command Ctrl-C ended.
INTERRUPTED = 130


def main() -> None:
    try:
        from localexa.cli.main import app
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        raise SystemExit(INTERRUPTED) from None
    app()
