"""A raw HTTP server on 127.0.0.1 answering `POST /_localexa/snapshot` as no localexa would (cut
short, held half-way, not a snapshot), for the tests of `client.admin.snapshot_to` and of
`localexa admin snapshot -o` (tests/client/test_snapshot_to.py, tests/cli/test_snapshot_streamed.py).
Use its fixtures by importing them: `raw_server` (`with raw_server(answer) as url:`)."""

from __future__ import annotations

import os
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from tests.servers import serve_stdlib

Answer = Callable[[socketserver.StreamRequestHandler], None]
RawServer = Callable[[Answer], AbstractContextManager[str]]

#: A file an earlier snapshot left (what a failed one must leave as it was).
OLDER = b'{"format": "localexa.snapshot", "an": "older one"}\n'
#: The start of a snapshot, longer than what the writer holds before writing (128 bytes).
HEAD = (
    b'{"format":"localexa.snapshot","version":1,"schemaRevision":"x","keyFingerprint":"' + b"f" * 64 + b'",'
)
CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
#: What `cut` sends before it closes the connection.
CUT_BODY = HEAD + b'"tables":{"customers":[{"id":1}'


class _Raw(socketserver.ThreadingTCPServer):
    """Answers each request as its `answer`, which each test sets."""

    daemon_threads = True
    allow_reuse_address = True
    answer: Answer

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(socketserver.StreamRequestHandler):
    server: _Raw

    def handle(self) -> None:
        length = 0
        while (line := self.rfile.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        self.rfile.read(length)
        self.server.answer(self)


@pytest.fixture(scope="module")
def raw_servers() -> Iterator[tuple[_Raw, str]]:
    """One server for the module (stopping one takes half a second)."""
    server = _Raw()
    with serve_stdlib(server) as url:
        yield server, url


@pytest.fixture
def raw_server(raw_servers: tuple[_Raw, str]) -> RawServer:
    """`with raw_server(answer) as url:` the module's server, answering as `answer`."""
    server, url = raw_servers

    @contextmanager
    def answering(answer: Answer) -> Iterator[str]:
        server.answer = answer
        yield url

    return answering


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def cut(handler: socketserver.StreamRequestHandler) -> None:
    """A snapshot's start, then the connection closed without the last chunk (as localexa does
    when the database fails under the stream)."""
    handler.wfile.write(CHUNKED_HEAD + chunk(CUT_BODY))
    handler.wfile.flush()


def whole(body: bytes, content_type: str = "application/json") -> Answer:
    def answer(handler: socketserver.StreamRequestHandler) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        handler.wfile.write(head.encode() + body)

    return answer


def held(first: bytes, rest: bytes, go_on: threading.Event) -> Answer:
    """`first`, then `rest` once `go_on` is set (30 s at most), and the chunked answer's end."""

    def answer(handler: socketserver.StreamRequestHandler) -> None:
        handler.wfile.write(CHUNKED_HEAD + chunk(first))
        handler.wfile.flush()
        go_on.wait(30)
        handler.wfile.write(chunk(rest) + b"0\r\n\r\n")

    return answer


def leftovers(folder: Path) -> list[str]:
    """Temporary files a snapshot left beside its file (there should be none)."""
    return sorted(name for name in os.listdir(folder) if name.endswith(".partial"))


def watch_partial(
    folder: Path, size: int, target: Path, go_on: threading.Event
) -> tuple[threading.Thread, list[bytes]]:
    """A thread that waits (30 s at most) for the snapshot's temporary file in `folder` to hold
    `size` bytes, then records it and `target`'s bytes, and sets `go_on`."""
    seen: list[bytes] = []

    def watch() -> None:
        try:
            for _ in range(600):
                partial = [folder / name for name in leftovers(folder)]
                if partial and partial[0].stat().st_size == size:
                    seen.append(partial[0].read_bytes())
                    seen.append(target.read_bytes())
                    return
                threading.Event().wait(0.05)
        finally:
            go_on.set()

    return threading.Thread(target=watch), seen
