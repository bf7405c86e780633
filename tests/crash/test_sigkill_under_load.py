"""SIGKILL under write load loses no write that was answered 2xx, on SQLite and on PostgreSQL.

A thread pool keeps creating customers (admin API) and Thread networks (Credential Locker) on a
real `localexa serve`; once enough writes were answered, the process is killed with SIGKILL in
the middle of the load. Requests in flight at that moment have no answer and prove nothing. The
server is started again on the same data dir and database, and every write answered 2xx must be
there, whole.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.scale.processes import ServerProcess, postgres_database, postgres_unreachable_reason
from tests.scale.world import THREAD_PERMISSION, bearer, customer, skill, token
from tests.servers import SERVED_LIMITS

pytestmark = pytest.mark.slow

LOCKER = "/credentiallocker/v2/threadNetworks"
XPAN = "00000000c0ffee00"
WORKERS = 8
#: Kill once this many writes were answered; the load goes on until the kill.
KILL_AFTER = 120
#: A bound on the whole load, whatever happens.
LOAD_SECONDS = 30.0


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None  # the server's default: SQLite in its data dir
        return
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(f"PostgreSQL crash test: {reason}")
    with postgres_database("localexa_crash") as url:
        yield url


@dataclass
class Acknowledged:
    """Writes the server answered 2xx (and what it answered), and how the others ended."""

    customers: list[tuple[str, str]] = field(default_factory=list)  # (userId, email)
    networks: list[str] = field(default_factory=list)  # networkName
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def count(self) -> int:
        return len(self.customers) + len(self.networks)


def _load(
    server: ServerProcess, access: str, acked: Acknowledged, stop: threading.Event, worker: int
) -> None:
    with httpx.Client(limits=SERVED_LIMITS, base_url=server.base_url, timeout=10) as http:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if n % 2:
                    email = f"crash-{worker}-{n}-{secrets.token_hex(3)}@example.com"
                    body = {"name": "Crash", "email": email, "password": "pw", "region": "NA"}
                    answer = http.post("/_localexa/customers", json=body, headers=server.admin_headers)
                    if answer.status_code == 201:
                        with acked.lock:
                            acked.customers.append((answer.json()["userId"], email))
                        continue
                else:
                    name = f"net-{worker}-{n}"
                    network = {"extendedPanId": XPAN, "networkName": name, "networkKey": "ab" * 16}
                    answer = http.put(LOCKER, json={"threadNetwork": network}, headers=bearer(access))
                    if answer.status_code == 200:
                        with acked.lock:
                            acked.networks.append(name)
                        continue
                with acked.lock:
                    acked.failed += 1
            except httpx.TransportError:
                with acked.lock:
                    acked.failed += 1  # no answer (the kill): the outcome is unknown, nothing to check
                time.sleep(0.05)


def test_every_acknowledged_write_survives_sigkill(tmp_path: Path, database_url: str | None) -> None:
    server = ServerProcess(
        tmp_path / "data",
        secrets.token_urlsafe(16),
        {"LOCALEXA_PASSWORD_HASH_N": "1024", "LOCALEXA_RATE_LIMIT": "1000000/minute"},
        database_url=database_url,
    )
    try:
        server.start()
        owner = skill(server, permissions=[THREAD_PERMISSION])
        user_id = customer(server)
        access = token(server, owner.messaging_client_id, user_id, ["alexa::async_event:write"])
        acked, stop = Acknowledged(), threading.Event()
        with ThreadPoolExecutor(WORKERS) as pool:
            workers = [pool.submit(_load, server, access, acked, stop, w) for w in range(WORKERS)]
            deadline = time.monotonic() + LOAD_SECONDS
            while acked.count < KILL_AFTER and time.monotonic() < deadline:
                time.sleep(0.01)
            server.kill()  # mid-load: every worker has a request in flight or about to be sent
            time.sleep(0.3)  # let the in-flight requests fail before the restart
            stop.set()
            for done in workers:
                done.result()
        assert acked.count >= KILL_AFTER // 2, f"too little load before the kill: {acked}"
        assert acked.customers
        assert acked.networks

        server.start()  # same data dir, same database
        with server.client() as http:
            for user, email in acked.customers:
                got = http.get(f"/_localexa/customers/{user}", headers=server.admin_headers)
                assert got.status_code == 200, (user, got.status_code, got.text)
                assert got.json()["email"] == email
            stored = _all_networks(http, access)
        missing = sorted(set(acked.networks) - stored)
        assert not missing, f"{len(missing)} acknowledged networks lost: {missing[:10]}"
        # Still a working server: a write after the restart lands too.
        assert customer(server)
    finally:
        server.stop()


def _all_networks(http: httpx.Client, access: str) -> set[str]:
    names: set[str] = set()
    params: dict[str, str | int] = {"extendedPanId": XPAN, "maxResults": 100}
    while True:
        page = http.get(LOCKER, params=params, headers=bearer(access))
        assert page.status_code == 200, page.text
        body = page.json()
        for network in body["threadNetworks"]:
            assert network["networkKey"] == "ab" * 16  # whole, and still decryptable
            names.add(network["networkName"])
        if not body.get("nextToken"):
            return names
        params["nextToken"] = body["nextToken"]
