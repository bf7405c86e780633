"""An HTTP server on 127.0.0.1 answering each request with canned JSON, for the CLI's tests of how
it prints what an API answered (widths, words, JSON output) without a localexa behind it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers import serve_stdlib

#: (method, path without its query) -> (status, JSON body; None: no body, as a 204's).
Answer = Callable[[str, str], tuple[int, Any]]


@contextmanager
def serve_canned(answer: Answer) -> Iterator[str]:
    """Serve `answer`'s JSON; yields the base URL. A POST's or PUT's body is read and ignored."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = answer(self.command, self.path.split("?")[0])
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the output is the CLI's
            pass

    with serve_stdlib(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as url:
        yield url
