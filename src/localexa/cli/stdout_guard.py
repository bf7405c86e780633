"""Stdout that cannot be written: one line on stderr and exit 7, never a traceback.

`localexa admin customers create … -q > /dev/full` created the customer, then printed a Rich
traceback ending `OSError: [Errno 28]` and exited 1, so a script took a done change for a refused
one; with stdout closed (`>&-`) every table command died of `AttributeError` on `None.isatty()`,
and the `-q`/`--json` ones lost their output silently and exited 0 (QA of 2026-12-06).

For one run of the CLI, `sys.stdout` is a `GuardedStdout`: a write or flush that fails raises
`OutputLost`, whoever writes (Click's echo, Rich, print). It is no `OSError`, so no handler of a
file's error takes it for its own; the root group (group.py) reports it. Kept apart from
output.py, which imports the client: the guard runs for `localexa serve` too.
"""

from __future__ import annotations

import contextlib
import errno
import sys
from typing import IO, Any

from localexa.cli.stream_guard import StreamGuard, point_at_devnull

__all__ = ["OUTPUT_LOST_EXIT", "GuardedStdout", "OutputLost", "report_lost_output"]

#: README "Exit codes": what the command did is done, but its output did not reach stdout.
OUTPUT_LOST_EXIT = 7


class OutputLost(Exception):
    """Stdout refused a write or flush (full disk, closed descriptor, a reader that went away)."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(cause.strerror or str(cause))
        self.cause = cause

    @property
    def broken_pipe(self) -> bool:
        return self.cause.errno == errno.EPIPE


class _ClosedStream:
    """What stdout is when the process started without one (`>&-`: Python sets it to None)."""

    encoding = "utf-8"
    errors = "strict"
    closed = False  # Click's echo writes nothing to a closed stream; this one must be written to

    def write(self, text: Any) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def flush(self) -> None:
        return None  # nothing is ever buffered here

    def isatty(self) -> bool:
        return False


class GuardedStdout(StreamGuard):
    """`sys.stdout` whose failed writes and flushes raise `OutputLost`; anything else is the
    stream's own (Click and Rich read `encoding`, `isatty()`, `fileno()` …)."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream if stream is not None else _ClosedStream()
        # A character stdout's encoding has no byte for (`Zoë` in a table, on an ASCII or cp1252
        # stdout) is written as `\xeb`, as stderr writes it: it raised UnicodeEncodeError, which
        # the root group took for an argument that is not UTF-8 (exit 2, the output lost; cliq QA).
        reconfigure = getattr(self.stream, "reconfigure", None)
        self.replaced = getattr(self.stream, "errors", None) == "strict" and callable(reconfigure)
        if self.replaced and callable(reconfigure):
            reconfigure(errors="backslashreplace")

    def release(self) -> Any:
        """The stream as it was given (its `errors` strict again): a program running the CLI in
        its own process keeps its stdout as it had it (review of 2026-12-07)."""
        if self.replaced:
            with contextlib.suppress(ValueError, OSError):
                self.stream.reconfigure(errors="strict")
        return self.stream

    def lost(self, error: OSError) -> None:
        raise OutputLost(error) from None


class _Silenced:
    """Stdout after its output was lost: the interpreter's last flush at exit must not fail
    again (it printed "Exception ignored … OSError" and turned the exit code into 120)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: Any) -> int:
        return len(text)

    def flush(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def report_lost_output(lost: OutputLost, guarded: GuardedStdout) -> None:
    """Say on stderr that stdout failed (not for a broken pipe: its reader stopped on purpose,
    as `| head` does) and leave stdout unable to fail again."""
    sys.stdout = _Silenced(guarded.stream)
    # A real process's stdout: point its descriptor at /dev/null, so the buffer the failed write
    # left behind is dropped when the interpreter flushes and closes it at exit.
    if guarded.stream is sys.__stdout__ and sys.__stdout__ is not None:
        point_at_devnull(sys.__stdout__)
    if lost.broken_pipe:
        return
    line = (
        f"error: cannot write the output to stdout: {lost} "
        "(what the command did is done; only its output is lost)\n"
    )
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # no stderr either: the exit code says it
        pass
