"""Stderr that cannot be written (`2>/dev/full`) changes no exit code.

Stderr only carries diagnostics: the exit code says what happened (README "Exit codes"). A write
to a full stderr raised `OSError: [Errno 28]` out of Rich while it printed the error, and the
traceback could not be written either, so every error exited 1, the code of an API refusal (a
404's 3, a usage error's 2, no connection's 6 were lost; cliq QA of 2026-12-07).

For one run of the CLI, `sys.stderr` is a `QuietStderr`: a write or flush that fails is dropped,
and the descriptor is pointed at /dev/null, so the bytes its buffer still holds cannot fail the
interpreter's last flush at exit (which would print "Exception ignored" nowhere and exit 120).
"""

from __future__ import annotations

import contextlib
import sys
from typing import IO

from localexa.cli.stream_guard import StreamGuard, point_at_devnull

__all__ = ["QuietStderr"]


class QuietStderr(StreamGuard):
    """`sys.stderr` whose failed writes and flushes are dropped; anything else is the stream's own
    (Click and Rich read `encoding`, `isatty()`, `fileno()` …)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def lost(self, error: OSError) -> None:
        """Point a real process's stderr at /dev/null: the rest of the run's diagnostics (and the
        buffer the failed write left) go nowhere instead of failing again."""
        real = sys.__stderr__
        if self.stream is real and real is not None and point_at_devnull(real):
            with contextlib.suppress(OSError, ValueError):
                real.flush()  # what the failed write left goes to /dev/null now
