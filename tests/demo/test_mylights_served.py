"""My Lights as `localexa serve`'s demo serves it: like localexa's own listeners, no `server:
uvicorn` header, and every answer (a wire refusal too) carries an `X-Amzn-RequestId` that finds its
line in the log. It sent `server: uvicorn`, its answers had no request id and left no line, and the
wire's refusals on its port had no id either."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from localexa.samples.mylights import build_mylights_server
from tests.demo.test_walkthrough import _free_base_port, serving


def _line_with(log: Path, request_id: str) -> list[str]:
    """The log's lines under `request_id`, once there is one (within a few seconds)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in log.read_text().splitlines() if f"request_id={request_id} " in line]
        if lines:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"no log line under {request_id}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    root = tmp_path_factory.mktemp("mylights-served")
    port = _free_base_port()
    log = root / "serve.log"
    with serving(root / "data", log, port) as process:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port + 3}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield port, log


def test_my_lights_answers_as_localexa_does(demo: tuple[int, Path]) -> None:
    port, log = demo
    own = httpx.get(f"http://127.0.0.1:{port}/_localexa/health")
    assert "server" not in own.headers, own.headers
    lights = httpx.get(f"http://127.0.0.1:{port + 3}/health")
    assert lights.status_code == 200
    assert "server" not in lights.headers, lights.headers
    request_id = lights.headers["x-amzn-requestid"]
    [line] = _line_with(log, request_id)
    assert "logger=localexa.mylights.access" in line, line
    assert "method=GET path=/health status=200 " in line, line


def test_a_wire_refusal_on_my_lights_port_carries_an_id_its_line_has(demo: tuple[int, Path]) -> None:
    port, log = demo
    with socket.create_connection(("127.0.0.1", port + 3), timeout=5) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    assert head.startswith("http/1.1 400"), head
    assert "server:" not in head, head
    fields = [line.split(":", 1) for line in head.split("\r\n")[1:]]
    [request_id] = [value.strip() for name, value in fields if name == "x-amzn-requestid"]
    lines = _line_with(log, request_id)
    assert any("logger=localexa.serve" in line and "refused a request" in line for line in lines), lines


def test_my_lights_on_its_own_sends_no_server_header() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = build_mylights_server("127.0.0.1", port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline
            assert thread.is_alive()
            time.sleep(0.05)
        answer = httpx.get(f"http://127.0.0.1:{port}/health")
        assert answer.status_code == 200
        assert "server" not in answer.headers, answer.headers
    finally:
        server.should_exit = True
        thread.join(20)


def test_a_my_lights_body_cut_off_logs_no_status_nobody_got(demo: tuple[int, Path]) -> None:
    """Its client left mid-body: My Lights' warning and the access line, one request id, and the
    access line claims no status (the 400 My Lights rendered reached nobody)."""
    port, log = demo
    since = len(log.read_text())
    with socket.create_connection(("127.0.0.1", port + 3), timeout=5) as sock:
        sock.sendall(b"POST /skill HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        sock.sendall(b"Content-Length: 40\r\n\r\n{")
        time.sleep(0.2)  # the handler is reading the body
    deadline = time.monotonic() + 5
    while "logger=localexa.mylights.access" not in log.read_text()[since:]:
        assert time.monotonic() < deadline, log.read_text()[since:]
        time.sleep(0.05)
    added = log.read_text()[since:].splitlines()
    [access] = [line for line in added if "logger=localexa.mylights.access" in line]
    assert "method=POST path=/skill status=- " in access, access
    assert "cut off" in access, access
    request_id = access.split("request_id=", 1)[1].split(" ", 1)[0]
    [warning] = [line for line in added if "logger=localexa.samples.mylights" in line]
    assert f"request_id={request_id} " in warning, (access, warning)
