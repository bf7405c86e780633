"""`client.admin.snapshot_to(path)`: a snapshot written to a file as it arrives, never held whole.

`snapshot()` parses the whole document (an 85 MB snapshot of 200,000 tokens took hundreds of
MB in the client, and `localexa admin snapshot -o` wrote it pretty-printed from there). Here the
server's bytes go to a temporary file beside `path` (readable by its owner only: a snapshot
holds password hashes and sealed secrets), and only an answer that is a whole localexa snapshot
replaces `path`, by a rename: a 200 with a JSON Content-Type, `{"format": "localexa.snapshot"`
at its start (the server writes `format` first), its last byte the closing brace, and a transfer
HTTP calls complete (the server ends a failed snapshot's connection without the chunked answer's
last chunk: a cut answer raises, never passes for a whole one). Anything else leaves `path` as
it was and removes the temporary file.

A device or a pipe (`/dev/stdout`, `/dev/null`, a FIFO) is written in place as the bytes arrive,
its mode left alone: there is nothing to rename over, and an answer cut short there has been
written in part (the call still raises).
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

import httpx

from localexa.client._errors import APIResponseValidationError
from localexa.client.types.admin import SnapshotWritten

#: A snapshot's start, white space allowed (an older CLI's file was indented).
_HEAD = re.compile(rb'\s*\{\s*"format"\s*:\s*"localexa\.snapshot"')
#: Bytes held before anything is written, enough to check the start.
HEAD_BYTES = 128
_WHITE = b" \t\r\n"


class SnapshotWriter:
    """A `BodySink` (client/_body_sink.py) for the snapshot's answer. Opens its file at once, so a
    path that cannot be written fails (OSError) before anything is asked of the server."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        #: Bytes of the answer taken so far (the first few are held until its start is checked).
        self.size = 0
        self._held: bytearray | None = bytearray()  # None once the start was checked
        self._last = b""
        self._response: httpx.Response | None = None
        final = Path(os.path.realpath(self.path))  # a symlink's file is replaced, not the link
        self._final = final
        self._temp: Path | None = None
        if final.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(self.path))
        if final.exists() and not final.is_file():  # a device or a pipe: written in place
            fd = os.open(final, os.O_WRONLY | os.O_TRUNC)
        else:  # mkstemp makes it 0600, whatever the umask
            fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent)
            self._temp = Path(name)
        self._replaces = self._temp is not None
        self._file = os.fdopen(fd, "wb")

    @property
    def started(self) -> bool:
        """Whether an answer came (its body may have begun to arrive)."""
        return self._response is not None

    @property
    def replaces(self) -> bool:
        """Whether the file is written beside `path` and renamed over it (not a device)."""
        return self._replaces

    def begin(self, response: httpx.Response) -> None:
        self._response = response
        if response.status_code != 200:
            self._refuse(f"answered {response.status_code} where a snapshot (200) was expected")
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            self._refuse(f"answered {media or 'no Content-Type'} where a snapshot (JSON) was expected")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._held is not None:
            self._held += chunk
            if len(self._held) < HEAD_BYTES:
                return
            chunk = self._checked_start()
        self._put(chunk)

    def end(self) -> None:
        if self._held is not None:
            self._put(self._checked_start())
        if self._last != b"}":
            self._refuse(f"answered a document that ends before its closing brace (after {self.size} bytes)")
        self._file.flush()
        if self._temp is not None:
            os.fsync(self._file.fileno())  # on disk before it replaces the file it replaces

    def commit(self) -> SnapshotWritten:
        """The whole snapshot in place of `path` (call once `end` passed)."""
        self._file.close()
        if self._temp is not None:
            os.replace(self._temp, self._final)
            self._temp = None
        return SnapshotWritten(self.path, self.size)

    def discard(self) -> None:
        """Closes the file and removes the temporary one, if any: `path` stays as it was."""
        self._file.close()
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None

    def _checked_start(self) -> bytes:
        held = bytes(self._held or b"")
        self._held = None
        if not _HEAD.match(held):
            self._refuse("answered no localexa snapshot")
        return held

    def _put(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._file.flush()  # on its way to disk now, not in a buffer until the answer ends
        stripped = chunk.rstrip(_WHITE)
        if stripped:
            self._last = stripped[-1:]

    def _refuse(self, what: str) -> None:
        assert self._response is not None
        raise APIResponseValidationError(f"/_localexa/snapshot {what}.", response=self._response)
