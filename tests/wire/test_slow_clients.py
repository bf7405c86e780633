"""Clients that take their time: silent, a byte at a time, hundreds at once, never reading.

None of them may keep the server from answering a new client at once, and each connection ends
after the timeouts (`--client-timeout`, `--idle-timeout`; 1 s here)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from pathlib import Path

import httpx
import pytest

from localexa.cli.serve_limits import DEFAULT_CLIENT_TIMEOUT
from localexa.server.core.request_guard import CLIENT_TIMEOUT_SECONDS
from tests.wire.conftest import CLIENT_TIMEOUT, HARD_FILES, IDLE_TIMEOUT, Served
from tests.wire.raw import exchange, parse_answers, read_until_closed, request

#: Generous: how long past a timeout the server may take to act on it (a loaded CI machine).
SLACK = 4.0


def test_a_connection_that_never_sends_a_byte_is_closed_after_the_idle_timeout(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port)) as silent:
        data, closed = read_until_closed(silent, IDLE_TIMEOUT + SLACK)
    assert closed
    assert data == b""


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(served: Served) -> None:
    kept = exchange(served.port, request("GET", "/_localexa/health"), timeout=IDLE_TIMEOUT + SLACK)
    assert kept.answer.status == 200
    assert not kept.answer.closes
    assert kept.closed


async def test_a_head_sent_a_byte_at_a_time_is_a_408_and_others_are_answered(served: Served) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(b"GET /credentiallocker/v2/threadNetworks?extendedPanId=1 HTTP/1.1\r\nHost: x\r\n")
    received = b""
    deadline = time.monotonic() + CLIENT_TIMEOUT + SLACK
    try:
        while time.monotonic() < deadline:
            writer.write(b"X")  # one byte of a header name, never ending
            await writer.drain()
            assert await asyncio.to_thread(served.health_now) == 200
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 0.2)
            except TimeoutError:
                continue
            if not chunk:
                break
            received += chunk
    finally:
        writer.close()
    answers = parse_answers(received)
    assert [answer.status for answer in answers] == [408], received
    assert answers[0].json()["code"] == "REQUEST_TIMEOUT"
    assert "did not arrive within 1 s" in answers[0].json()["message"]


async def test_hundreds_of_slow_or_silent_connections_do_not_stop_a_new_client(served: Served) -> None:
    """Past the connection cap (the open-file limit less a reserve: 128 here), the connection
    that has waited longest for its request gives way. Before, uvicorn accepted until the process
    ran out of files, and then nobody was answered."""
    held: list[asyncio.StreamWriter] = []
    try:
        for n in range(300):
            _, writer = await asyncio.open_connection("127.0.0.1", served.port)
            if n % 2:
                writer.write(b"GET /_localexa/health HTTP/1.1\r\nHost: x\r\n")  # and no more
            held.append(writer)
        await asyncio.sleep(0.1)
        assert await asyncio.to_thread(served.health_now) == 200
    finally:
        for writer in held:
            writer.close()
    assert "idle or unfinished ones to let new ones in" in served.log()
    metrics = (await asyncio.to_thread(httpx.get, f"{served.base_url}/metrics", timeout=10)).text
    shed = re.search(r"^localexa_connections_shed_total (\S+)$", metrics, re.MULTILINE)
    assert shed is not None
    assert float(shed.group(1)) >= 100  # 300 held past a cap of ~128 (counted since 2026-12-06)


def test_the_open_file_limit_is_raised_to_the_hard_limit(served: Served) -> None:
    limits = Path(f"/proc/{served.process.pid}/limits")
    if not limits.exists():
        pytest.skip("reads the server's limits from /proc")
    line = next(line for line in limits.read_text().splitlines() if line.startswith("Max open files"))
    assert line.split()[3:5] == [str(HARD_FILES), str(HARD_FILES)]


def test_a_client_that_never_reads_its_answers_is_let_go_and_others_are_answered(served: Served) -> None:
    """Requests pipelined for a large answer (the OpenAPI document, ~190 kB), none read: the server
    holds one answer in memory at a time, answers others, and ends the connection once the client
    has read nothing for the client timeout (its task waited for ever before)."""
    before = served.log_path.stat().st_size
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
    sock.connect(("127.0.0.1", served.port))
    try:
        sock.sendall(request("GET", "/_localexa/openapi.json") * 100)
        deadline = time.monotonic() + CLIENT_TIMEOUT + SLACK
        let_go = False
        while not let_go and time.monotonic() < deadline:
            assert served.health_now() == 200
            with served.log_path.open("rb") as log:
                log.seek(before)
                let_go = b"read nothing of its answer" in log.read()
            time.sleep(0.1)
        assert let_go
    finally:
        sock.close()


def test_the_body_and_the_head_wait_as_long_by_default() -> None:
    assert DEFAULT_CLIENT_TIMEOUT == CLIENT_TIMEOUT_SECONDS


def test_a_connection_refused_at_the_cap_is_logged_under_its_request_id(served: Served) -> None:
    """Past the cap with none to shed (every connection's request is running), a new connection
    is answered 503. Its `X-Amzn-RequestId` found nothing in the log: those 503s come in floods
    and were only counted. Now the first in 10 s is logged, under the id its answer carried."""
    admin = (f"X-Localexa-Admin-Key: {served.admin_key}", "Content-Type: application/json")
    running = request("POST", "/_localexa/customers", *admin, "Content-Length: 10")  # body never sent
    since = served.log_path.stat().st_size
    held: list[socket.socket] = []
    ids: list[str] = []
    try:
        for _ in range(HARD_FILES // 2 + 8):  # past the cap (128 here): each one's request runs
            sock = socket.create_connection(("127.0.0.1", served.port))
            sock.sendall(running)
            held.append(sock)
        time.sleep(0.2)  # every head has arrived: none waits for one, so none can be shed
        refused = exchange(served.port, request("GET", "/_localexa/health"), timeout=CLIENT_TIMEOUT + SLACK)
        for sock in held:  # those past the cap, when nothing was left to shed, got the 503 too
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                answers = parse_answers(sock.recv(65536))
                ids += [answer.headers["x-amzn-requestid"] for answer in answers if answer.status == 503]
    finally:
        for sock in held:
            sock.close()
    assert refused.answer.status == 503, refused
    ids.append(refused.answer.headers["x-amzn-requestid"])
    deadline = time.monotonic() + SLACK
    while True:
        with served.log_path.open("rb") as log:
            log.seek(since)
            added = log.read().decode(errors="replace").splitlines()
        lines = [line for line in added if "with 503: localexa holds as many connections as it can" in line]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(lines) == 1, lines  # one line for the flood, not one per connection
    logged_id = lines[0].split("request_id=", 1)[1].split(" ", 1)[0]
    assert logged_id in ids, (logged_id, ids)  # the id one of the 503s carried
