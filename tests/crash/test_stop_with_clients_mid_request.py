"""SIGTERM stops `localexa serve` within a short grace whatever its clients do (cli/wire_stop.py).

A real server process, raw sockets. Until the night of 2026-12-06 uvicorn waited for a request
whose body a client had paused until the request guard's 408, a client timeout per pause (measured:
38.5 s with `--client-timeout 40`; up to a day was allowed), and for an answer its client read
nothing of just as long; a head under way was cut off without an answer; a second SIGTERM was
ignored. The servers here run with a client timeout of 30 s, so any wait for it shows.
"""

from __future__ import annotations

import math
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from localexa.cli.serve_limits import MAX_CLIENT_TIMEOUT
from localexa.cli.wire import LINGER_SECONDS
from localexa.cli.wire_stop import STOP_GRACE_SECONDS, stop_grace
from localexa.server.observe.journal_store import journal_file
from localexa.server.settings import Settings
from tests.scale.processes import ServerProcess, query
from tests.wire.raw import Answer, parse_answers, request

pytestmark = pytest.mark.slow

CLIENT_TIMEOUT = 30.0
#: The grace these servers give (their client timeout is longer).
GRACE = STOP_GRACE_SECONDS
#: The demo's servers' grace (`--stop-grace`): short, so its test waits less than the default's 5 s
#: (the first test's), and far enough below it that a My Lights given the default shows.
DEMO_GRACE = 1.5
#: How long past a deadline the server may take on a loaded CI machine.
SLACK = 3.0
#: What no stop may leave in the log: a bug's traceback or error line.
_BUG_WORDS = ("level=error", "Traceback")


def _server(tmp_path: Path, *, demo: bool = False, **more_env: str) -> Generator[ServerProcess, None, None]:
    env = {
        **more_env,
        "LOCALEXA_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT),
        "LOCALEXA_IDLE_TIMEOUT": "30",  # an idle connection closes with the stop, not its timer
        "LOCALEXA_LOG_LEVEL": "info",
        "LOCALEXA_PASSWORD_HASH_N": str(2**10),
    }
    server = ServerProcess(tmp_path / "data", secrets.token_urlsafe(16), env, demo=demo)
    try:
        yield server.start()
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServerProcess]:
    yield from _server(tmp_path)


@pytest.fixture
def demo_served(tmp_path: Path) -> Iterator[ServerProcess]:
    yield from _server(tmp_path, demo=True, LOCALEXA_STOP_GRACE=str(DEMO_GRACE))


@dataclass
class Client:
    """A raw connection read to its end on a thread: what came, and when it ended (seconds
    after `stopped`, the SIGTERM's moment), or None if it had not ended `give_up` s after."""

    sock: socket.socket
    data: bytes = b""
    ended: float | None = None

    def read_until_closed(self, stopped: list[float], give_up: float) -> None:
        deadline = time.monotonic() + give_up
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = self.sock.recv(65536)
                except TimeoutError:
                    return
                if not chunk:
                    break
                self.data += chunk
        except ConnectionResetError:
            pass
        self.ended = time.monotonic() - stopped[0]
        self.sock.close()  # read its answer and leave, as a client does: no linger to wait out

    @property
    def answer(self) -> Answer:
        (answer,) = parse_answers(self.data)
        return answer


def _connect(port: int, *parts: bytes, small_window: bool = False) -> Client:
    sock = socket.socket()
    if small_window:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting
    sock.connect(("127.0.0.1", port))
    for part in parts:
        sock.sendall(part)
    return Client(sock)


def _read_all(clients: list[Client], stopped: list[float], give_up: float) -> list[threading.Thread]:
    readers = [
        threading.Thread(target=client.read_until_closed, args=(stopped, give_up), daemon=True)
        for client in clients
    ]
    for reader in readers:
        reader.start()
    return readers


def _post(path: str, body: bytes, *headers: str, sent: int) -> bytes:
    """A POST announcing `body` whole, and only its first `sent` bytes."""
    whole = request("POST", path, *headers, f"Content-Length: {len(body)}", body=body)
    return whole[: len(whole) - len(body) + sent]


def _stops_within(server: ServerProcess, seconds: float) -> None:
    assert server.process is not None
    try:
        server.process.wait(seconds)
    except subprocess.TimeoutExpired:
        server.kill()
        pytest.fail(f"still running {seconds:g} s after the signal")


def _my_lights_port(server: ServerProcess) -> int:
    """Where the demo's device cloud listens, as the server announced it once listening."""
    deadline = time.monotonic() + 30
    while (found := re.search(r"My Lights device cloud: http://127\.0\.0\.1:(\d+)", server.log())) is None:
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    return int(found[1])


def _bugs(log: str) -> list[str]:
    return [line[:400] for line in log.splitlines() if any(word in line for word in _BUG_WORDS)]


def test_sigterm_waits_only_a_short_grace_for_clients_that_stalled(served: ServerProcess) -> None:
    port = served.port
    form = ("Content-Type: application/x-www-form-urlencoded",)
    admin = (f"X-Localexa-Admin-Key: {served.admin_key}", "Content-Type: application/json")
    customer = b'{"name": "Late", "email": "late-stop@example.com", "password": "pw123456"}'
    # An idle kept-alive connection, its first request answered.
    idle = _connect(port, request("GET", "/_localexa/health"))
    first = b""
    while not parse_answers(first):
        first += idle.sock.recv(65536)
    assert parse_answers(first)[0].status == 200, first
    # A token request whose body paused after 1 byte of 40 (LWA's error shape).
    paused_body = _connect(port, _post("/auth/o2/token", b"g" * 40, *form, sent=1))
    # A head paused half-way (the Credential Locker's error shape: code and message).
    half_head = _connect(port, b"PUT /credentiallocker/v2/threadNetworks HTTP/1.1\r\nHost: x\r\n")
    # A request whose body is still coming at the stop, and comes whole within the grace.
    late_body = _connect(port, _post("/_localexa/customers", customer, *admin, sent=10))
    # Answers never read (the OpenAPI document, ~245 kB each, through a 4 kB window).
    unread = _connect(port, request("GET", "/_localexa/openapi.json") * 20, small_window=True)
    time.sleep(0.5)  # every head has reached the server

    clients = [idle, paused_body, half_head, late_body]  # `unread` is never read
    stopped = [time.monotonic()]
    assert served.process is not None
    served.process.send_signal(signal.SIGTERM)
    readers = _read_all(clients, stopped, GRACE + 2 * SLACK)
    time.sleep(1.0)
    late_body.sock.sendall(customer[10:])  # within the grace: served
    try:
        _stops_within(served, GRACE + LINGER_SECONDS + 2 * SLACK)
    finally:
        unread.sock.close()
    for reader in readers:
        reader.join(SLACK)

    assert idle.data == b""
    assert idle.ended is not None
    assert idle.ended < SLACK, idle  # closed with the stop
    for client, shape in ((paused_body, "error"), (half_head, "code")):
        assert client.ended is not None, client
        assert GRACE - 0.5 <= client.ended < GRACE + SLACK, client
        answer = client.answer
        assert answer.status == 503, client
        assert answer.closes
        assert shape in answer.json(), answer.json()
        assert "localexa is stopping" in str(answer.json()), answer.json()
    assert paused_body.answer.json()["error"] == "temporarily_unavailable"  # RFC 6749 §5.2's word
    assert late_body.answer.status == 201, late_body
    assert late_body.answer.closes
    assert served.process.returncode in (0, -signal.SIGTERM)
    log = served.log()
    assert log.count("with 503: localexa is stopping") == 2, log
    assert f"it read nothing of its answer for {GRACE:g} s" in log, log
    assert not _bugs(log), _bugs(log)
    # The 503 is the token request's one status: its access line said `status=400` (under
    # another request id), an answer nobody got; now it says the request was cut off.
    token_lines = [
        line for line in log.splitlines() if "logger=localexa.access" in line and "/auth/o2/token" in line
    ]
    assert len(token_lines) == 1, token_lines
    assert "status=- " in token_lines[0], token_lines
    assert "cut off" in token_lines[0], token_lines
    # One request id for it: the 503 and the wire's line had a new id of their own, so the id the
    # client got found neither the app's access line nor its journal entry (read from the stopped
    # server's database: what `GET /_localexa/journal?requestId=` of a restart reads).
    token_id = paused_body.answer.headers["x-amzn-requestid"]
    assert f"request_id={token_id} " in token_lines[0], (token_id, token_lines)
    refused = [line for line in log.splitlines() if "with 503: localexa is stopping" in line]
    assert sum(f"request_id={token_id} " in line for line in refused) == 1, (token_id, refused)
    journal = journal_file(f"sqlite+aiosqlite:///{served.data_dir / 'localexa.db'}")
    assert journal is not None
    entries = query(
        f"sqlite+aiosqlite:///{journal}",
        "SELECT path, status FROM journal_entries WHERE request_id = :id",
        id=token_id,
    )
    assert entries == [("/auth/o2/token", None)], entries


@pytest.mark.parametrize(
    ("first", "second"),
    [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGTERM), (signal.SIGTERM, signal.SIGINT)],
    ids=["TERM-TERM", "INT-TERM", "TERM-INT"],
)
def test_a_second_signal_stops_at_once(served: ServerProcess, first: int, second: int) -> None:
    """uvicorn stopped at once on a second SIGINT only; a second SIGTERM waited like the first."""
    paused = _connect(served.port, _post("/auth/o2/token", b"g" * 40, sent=1))
    try:
        time.sleep(0.3)
        assert served.process is not None
        served.process.send_signal(first)
        time.sleep(0.5)
        stopped = time.monotonic()
        served.process.send_signal(second)
        _stops_within(served, GRACE + LINGER_SECONDS + 2 * SLACK)
        assert time.monotonic() - stopped < min(SLACK, GRACE - 1.0)
    finally:
        paused.sock.close()


def test_my_lights_gets_the_same_grace_and_its_requests_are_not_cut(demo_served: ServerProcess) -> None:
    """The demo's device cloud stops once localexa has. The signal was re-raised as soon as
    localexa had drained: SIGTERM ended the process with My Lights' requests unanswered. Its
    grace is localexa's, here the one given (`DEMO_GRACE`)."""
    demo_port = _my_lights_port(demo_served)
    paused = _connect(demo_port, _post("/skill", b"{" * 40, "Content-Type: application/json", sent=1))
    time.sleep(0.3)
    stopped = [time.monotonic()]
    assert demo_served.process is not None
    demo_served.process.send_signal(signal.SIGTERM)
    (reader,) = _read_all([paused], stopped, GRACE + 2 * SLACK)
    _stops_within(demo_served, GRACE + LINGER_SECONDS + 2 * SLACK)
    reader.join(SLACK)
    assert paused.ended is not None
    assert DEMO_GRACE - 0.5 <= paused.ended < GRACE - 1.0, paused  # the grace given, not the default
    assert paused.answer.status == 503, paused
    # In My Lights' one error shape (RFC 6749 §5.2), not the wire's `{"message"}` (until 2026-12-07).
    assert paused.answer.json()["error"] == "temporarily_unavailable", paused.answer.json()
    assert "localexa is stopping" in paused.answer.json()["error_description"]
    # The skill's handler, waiting for the body, learns its connection has ended: one warning,
    # where Starlette's ClientDisconnect was logged at level error with a traceback.
    log = demo_served.log()
    assert "POST /skill: The connection ended before the request's body arrived whole" in log, log
    assert not _bugs(log), _bugs(log)


def test_the_stop_grace_is_the_client_timeout_at_most_five_seconds() -> None:
    assert stop_grace(1.0) == 1.0
    assert stop_grace(10.0) == STOP_GRACE_SECONDS == 5.0
    assert stop_grace(86_400.0) == 5.0
    # Unless told (`--stop-grace`): then it is that, below or above the client timeout.
    assert stop_grace(86_400.0, 1.5) == 1.5
    assert stop_grace(1.0, 20.0) == 20.0


def test_a_stop_grace_given_is_the_one_a_stopping_server_gives(tmp_path: Path) -> None:
    """`--stop-grace` (here `LOCALEXA_STOP_GRACE`, which the option reads): a body paused at the
    stop is answered 503 that long after it, and its message says so. The grace was min(client
    timeout, 5 s) whatever the supervisor's own deadline."""
    grace = 1.5
    server = next(served := _server(tmp_path, LOCALEXA_STOP_GRACE=str(grace)))
    try:
        paused = _connect(server.port, _post("/auth/o2/token", b"g" * 40, sent=1))
        time.sleep(0.3)
        stopped = [time.monotonic()]
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        (reader,) = _read_all([paused], stopped, GRACE + 2 * SLACK)
        _stops_within(server, grace + LINGER_SECONDS + 2 * SLACK)
        reader.join(SLACK)
        assert paused.ended is not None, paused
        assert grace - 0.5 <= paused.ended < GRACE - 1.0, paused  # its own grace, not the default 5 s
        assert paused.answer.status == 503, paused
        assert f"had not arrived whole {grace:g} s later" in paused.answer.json()["error_description"]
        assert not _bugs(server.log()), _bugs(server.log())
    finally:
        served.close()


@pytest.mark.parametrize("value", [0, 0.09, 600.5, math.inf, math.nan])
def test_settings_hold_the_stop_grace_to_the_cli_s_bounds(value: float) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(stop_grace=value)
    assert raised.value.errors()[0]["loc"] == ("stop_grace",)
    assert Settings(stop_grace=0.1).stop_grace == 0.1
    assert Settings(stop_grace=600).stop_grace == 600
    assert Settings().stop_grace is None


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 0, 0.09, -1, 86_401, 1e999, "inf"])
def test_settings_hold_the_client_timeout_to_the_cli_s_bounds(value: float | str) -> None:
    """A server built in code (`create_app(Settings(...))`) took `inf`, which the CLI refuses."""
    with pytest.raises(ValidationError) as raised:
        Settings(client_timeout=value)
    (error,) = raised.value.errors()
    assert error["loc"] == ("client_timeout",)
    assert "give 0.1 to 86400 seconds" in error["msg"], error["msg"]


@pytest.mark.parametrize("value", [0.1, 10, 86_400, "2.5"])
def test_settings_take_a_client_timeout_within_the_bounds(value: float | str) -> None:
    assert Settings(client_timeout=value).client_timeout == float(value)
    assert MAX_CLIENT_TIMEOUT == 86_400  # the CLI's bound is the same


def test_a_hangup_stops_gracefully_as_sigterm_does(served: ServerProcess) -> None:
    """SIGHUP (the terminal that ran `localexa serve` closed) ended the process at once, exit
    129, with no drain and no log line (ops37 F6): it stops as SIGTERM does now."""
    assert served.process is not None
    served.process.send_signal(signal.SIGHUP)
    _stops_within(served, GRACE + LINGER_SECONDS + 2 * SLACK)
    assert served.process.returncode == -signal.SIGHUP  # re-raised once stopped, as SIGTERM is
    log = served.log()
    assert "Shutting down" in log, log
    assert not _bugs(log), _bugs(log)
