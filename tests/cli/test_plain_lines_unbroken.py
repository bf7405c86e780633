"""Lines the CLI prints as they are (not tables nor API error lines) break at spaces only on a
terminal, as README "Command line" says of error lines: on 40 columns `skill status` of a skill
that is not there came out as `… (T` / `he skill amzn1.ask.skill.…-0000-` / `000000000000 was …`,
an API error's `request id: <uuid>` had its id cut in two, and `thread export`'s note on stderr
split `fdde:ad0` / `0:beef:0::/64` (cliq QA of 2026-12-07). Each command runs in a real terminal
(a pty) 40 columns wide."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from localexa.cli.unbroken import print_lines
from tests.cli.test_urls_unbroken import on_terminal, within_terminal

SKILL = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
REQUEST_ID = "19caf034-d69e-4afd-88c2-999556e462d0"
NETWORK = {
    "extendedPanId": "dead00beef00cafe",
    "networkName": "OpenThreadDemo",
    "networkKey": "00112233445566778899aabbccddeeff",
    "pskc": "445f2b5ca6f2a93a55ce570a70efeecb",
    "panId": "1234",
    "channelNumber": 15,
}


def _answer(path: str) -> tuple[int, Any]:
    if path.startswith("/credentiallocker/"):
        return 200, {"threadNetworks": [] if "networkName=nope" in path else [NETWORK]}
    return 404, {"code": "NOT_FOUND", "message": f"The skill {SKILL} was not found."}


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = _answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Amzn-RequestId", REQUEST_ID)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _checked(lines: list[str], *whole: str) -> None:
    assert all(within_terminal(line, 40) for line in lines), lines
    for word in whole:
        assert any(word in line for line in lines), (word, lines)


def test_skill_status_of_a_missing_skill_keeps_its_words(api: str) -> None:
    lines = on_terminal("--url", api, "--token", "t", "skill", "status", SKILL, columns=40)
    _checked(lines, "development not enabled", "(The skill", "was not found.)")


def test_the_request_id_of_an_api_error_is_not_cut(api: str) -> None:
    args = ("--url", api, "--admin-key", "k", "--retries", "0", "admin", "customers", "get", "N")
    lines = on_terminal(*args, columns=40)
    _checked(lines, REQUEST_ID, "request id:")


def test_the_note_of_thread_export_keeps_its_words(api: str) -> None:
    args = ("--url", api, "--token", "t", "thread", "export", "--extended-pan-id", "dead00beef00cafe")
    lines = on_terminal(*args, columns=40)
    _checked(lines, "fdde:ad00:beef:0::/64,", "02a0f7f8,", "note: filled in")


def test_the_clis_own_error_keeps_its_words(api: str) -> None:
    args = ("--url", api, "--token", "t", "thread", "export", "--extended-pan-id", "dead00beef00cafe")
    lines = on_terminal(*args, "--network-name", "nope", columns=40)
    _checked(lines, "error: no Thread network", "dead00beef00cafe")


@pytest.mark.parametrize("err", [False, True])
def test_piped_plain_lines_are_written_as_they_are(capsys: pytest.CaptureFixture[str], err: bool) -> None:
    """No terminal, no wrapping and no rewriting: a tab (a Thread network name may hold one)
    stays a tab, where Rich expanded it to spaces (review of 2026-12-07)."""
    print_lines("stored a\tb (x)\nsecond line", err=err)
    captured = capsys.readouterr()
    assert (captured.err if err else captured.out) == "stored a\tb (x)\nsecond line\n"
