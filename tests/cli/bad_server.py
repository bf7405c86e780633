"""A server that answers every call badly, in one of many ways (`BadServer.mode`), and how the CLI
is run against it: the tests of every command (test_every_command.py) and of answers that must
not read as success (test_bad_answers_not_success.py) share it."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from typer.testing import CliRunner, Result

from localexa.cli.main import app
from tests.cli.conftest import CLEAN_ENV

ADMIN_KEY = "admin-key-SECRET-4f1c"
TOKEN = "Atza|token-SECRET-9d2e"
SECRETS = ("SECRET",)


def answer_bytes(status: int, content_type: str, body: bytes) -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


#: What the bad server sends back, by mode.
ANSWERS: dict[str, bytes] = {
    "html-200": answer_bytes(200, "text/html", b"<html><body>\n<h1>Welcome</h1>\n</body></html>"),
    "empty-200": answer_bytes(200, "application/json", b""),
    "invalid-json-200": answer_bytes(200, "application/json", b"{not json"),
    "list-200": answer_bytes(200, "application/json", b"[1, 2]"),
    "null-200": answer_bytes(200, "application/json", b"null"),
    # JSON, but with none of the answer's fields (a proxy's, another server's): no success either.
    "object-200": answer_bytes(200, "application/json", b'{"weird": [1, 2]}'),
    "not-utf8-200": answer_bytes(200, "application/json; charset=utf-8", b'{"a": "\xff\xfe"}'),
    "empty-204": b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
    "html-500": answer_bytes(
        500, "text/html", b"<html>\n<body>\n\x1b[31mInternal [bold]Error\n</body>\n</html>"
    ),
    "html-502": answer_bytes(502, "text/html", b"<html><h1>Bad Gateway</h1></html>"),
    "html-404": answer_bytes(404, "text/html", b"<html>nope [/x]</html>"),
    "json-400": answer_bytes(400, "application/json", b'{"message": "bad [/x] \\u001b[2J\\n second line"}'),
    "invalid-json-401": answer_bytes(401, "application/json", b"{oops"),
    "json-403": answer_bytes(403, "application/json", b'{"code": "ACCESS_DENIED", "message": "no"}'),
    "json-409": answer_bytes(409, "application/json", b'{"message": "exists"}'),
    "cut-mid-body": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    "closed-before-answer": b"",
    "not-http": b"NOT HTTP AT ALL\r\n\r\n",
}
#: 2xx answers whose body does not parse: 6 when the command reads it, 0 when it reads none.
BAD_BODIES = {
    "html-200",
    "empty-200",
    "invalid-json-200",
    "list-200",
    "null-200",
    "object-200",
    "not-utf8-200",
    "empty-204",
}
EXPECTED_EXIT = {
    **{mode: {0, 6} for mode in BAD_BODIES},
    "html-500": {6},
    "html-502": {6},
    "html-404": {3},
    "json-400": {1},
    "invalid-json-401": {4},
    "json-403": {4},
    "json-409": {5},
    "cut-mid-body": {6},
    "closed-before-answer": {6},
    "not-http": {6},
}


class _Handler(socketserver.BaseRequestHandler):
    """Reads a request's head, then sends the answer of the server's mode and closes."""

    server: BadServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        self.server.hits += 1
        if self.server.mode == "silent":  # never answers: the client's timeout must end the call
            while sock.recv(65536):
                pass
            return
        sock.sendall(ANSWERS[self.server.mode])
        sock.shutdown(socket.SHUT_RDWR)


class BadServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    mode = "html-200"
    hits = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve_badly() -> Iterator[BadServer]:
    server = BadServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def invoke(args: Sequence[str], *, url: str, stdin: str | None = None) -> Result:
    root = ["--url", url, "--admin-key", ADMIN_KEY, "--token", TOKEN, "--retries", "0"]
    return CliRunner().invoke(app, [*root, *args], input=stdin, env=CLEAN_ENV)


def flat(text: str) -> str:
    """`text` without the frame and line breaks of Typer's error box, lower case, to search in."""
    return " ".join(text.replace("│", " ").split()).lower()


def assert_clean_failure(result: Result, expected: set[int], what: str, *, api_error: bool = True) -> None:
    """No exception, the documented exit code, no secret; an API error in one line on stderr
    (`api_error=False` for `skill status`, whose "not enabled" is an answer on stdout)."""
    context = (what, result.exit_code, result.stdout[-500:], result.stderr[-500:])
    exception = result.exception
    assert exception is None or isinstance(exception, SystemExit), (*context, repr(exception))
    assert result.exit_code in expected, context
    output = result.stdout + result.stderr
    assert "Traceback" not in output, context
    assert not any(secret in output for secret in SECRETS), context
    assert "\x1b" not in result.stderr, context  # the server's ESC reached the terminal
    if api_error and result.exit_code not in (0, 2):
        lines = result.stderr.splitlines()
        assert lines, context
        assert lines[0].startswith("error"), context
        assert all(line.startswith("request id: ") for line in lines[1:]), context
