"""What stdout_guard.py's `GuardedStdout` and stderr_guard.py's `QuietStderr` share: a text stream
whose failed writes and flushes go to one method, `lost`, and whose every other attribute is the
stream's own (Click and Rich read `encoding`, `isatty()`, `fileno()` …). The two differ only in
what a lost write does: stdout's raises `OutputLost`, stderr's is dropped. Once a write is lost,
both point the real descriptor at /dev/null (`point_at_devnull`)."""

from __future__ import annotations

import os
from typing import IO, Any

__all__ = ["StreamGuard", "point_at_devnull"]


def point_at_devnull(stream: IO[str]) -> bool:
    """Point a real process's stdout or stderr descriptor at /dev/null, so the bytes its buffer
    still holds are dropped instead of failing the interpreter's last flush at exit (which printed
    "Exception ignored" and exited 120). False when that could not be done."""
    try:
        sink = os.open(os.devnull, os.O_WRONLY)
        os.dup2(sink, stream.fileno())
        os.close(sink)
    except (OSError, ValueError):
        return False
    return True


class StreamGuard:
    stream: Any

    def lost(self, error: OSError) -> None:
        """A write or flush failed with `error`; a write that returns from here counts as done."""
        raise NotImplementedError

    def write(self, text: Any) -> int:
        try:
            return int(self.stream.write(text))
        except OSError as error:
            self.lost(error)
            return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as error:
            self.lost(error)
        except ValueError:  # flush of a closed file: nothing more can be lost
            return

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
