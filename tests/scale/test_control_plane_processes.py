"""The control plane under traffic on two `localexa serve` processes (conftest.py `pair`: one
PostgreSQL, one Redis): resets and restores through one while both write, a `count` fault spent
by both, and clock advances through both.

Never a 5xx, never a partial write, never a state no serial order explains.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.observe.test_control_plane_state import check_invariants
from tests.scale.conftest import Pair
from tests.scale.processes import ServerProcess, query
from tests.scale.world import customer

pytestmark = pytest.mark.slow

FAULT_HEADER = "X-Localexa-Fault"
#: Rounds of snapshot, reset and restore under load; `LOCALEXA_CONTROL_PLANE_ROUNDS=50` for a
#: longer hand run (CI keeps it short: the in-process tests pin each race deterministically).
ROUNDS = int(os.environ.get("LOCALEXA_CONTROL_PLANE_ROUNDS", "2"))


def _write_until(server: ServerProcess, stop: threading.Event) -> Counter[int]:
    """Customer, vendor, skill and a token for it, again and again, through `server`."""
    statuses: Counter[int] = Counter()
    with server.client(headers=server.admin_headers) as http:

        def post(path: str, body: dict[str, Any]) -> dict[str, Any] | None:
            answer = http.post(f"/_localexa/{path}", json=body)
            statuses[answer.status_code] += 1
            return answer.json() if answer.status_code == 201 else None

        while not stop.is_set():
            email = f"w-{secrets.token_hex(4)}@example.com"
            made = post("customers", {"name": "W", "email": email, "password": "pw", "region": "NA"})
            if made is None:
                continue
            vendor = post("vendors", {"name": "V", "ownerUserId": made["userId"]})
            if vendor is None:
                continue
            body = {"vendorId": vendor["vendorId"], "name": "S", "endpoint": "http://127.0.0.1:9/s"}
            skill = post("skills", body)
            if skill is None:
                continue
            client_id = skill["skillMessagingCredentials"]["clientId"]
            post("tokens", {"clientId": client_id, "userId": made["userId"], "scopes": ["profile"]})
    return statuses


def test_resets_and_restores_through_one_process_while_both_write(pair: Pair) -> None:
    stop = threading.Event()
    with ThreadPoolExecutor(4) as pool:
        writers = [pool.submit(_write_until, server, stop) for server in (pair.a, pair.b, pair.a, pair.b)]
        try:
            with (
                pair.a.client(headers=pair.a.admin_headers) as a,
                pair.b.client(headers=pair.b.admin_headers) as b,
            ):
                for _round in range(ROUNDS):
                    cut = a.post("/_localexa/snapshot")
                    assert cut.status_code == 200, cut.text
                    check_invariants(cut.json())
                    reset = a.post("/_localexa/reset")
                    assert reset.status_code == 200, reset.text
                    restored = b.post("/_localexa/restore", json=cut.json())
                    assert restored.status_code == 200, restored.text
        finally:
            stop.set()
        statuses = sum((writer.result() for writer in writers), Counter[int]())
    assert statuses[201] > 0
    assert all(status < 500 for status in statuses), statuses
    with pair.b.client(headers=pair.b.admin_headers) as b:
        check_invariants(b.post("/_localexa/snapshot").json())


def test_a_count_fault_faults_exactly_count_calls_through_both_processes(pair: Pair) -> None:
    user_id = customer(pair.a)
    path = f"/_localexa/customers/{user_id}"
    fault_id = pair.a.admin("faults", {"method": "GET", "path": path, "status": 503, "count": 6})["faultId"]
    faulted = 0
    with pair.b.client(headers=pair.b.admin_headers) as b:
        # B matches it once it has re-read its faults (at most every 0.5 s): its first firing.
        for _attempt in range(500):  # far past 0.5 s of calls
            if b.get(path).headers.get(FAULT_HEADER) == fault_id:
                faulted += 1
                break
        else:
            pytest.fail("B never matched the fault")

    def hammer(server: ServerProcess) -> int:
        with server.client(headers=server.admin_headers) as http:
            answers = [http.get(path) for _ in range(6)]
        assert all(a.status_code in (200, 503) for a in answers), [a.text for a in answers]
        return sum(a.headers.get(FAULT_HEADER) == fault_id for a in answers)

    with ThreadPoolExecutor(6) as pool:
        faulted += sum(pool.map(hammer, [pair.a, pair.b] * 3))
    assert faulted == 6
    with pair.a.client(headers=pair.a.admin_headers) as a:
        [listed] = [f for f in a.get("/_localexa/faults").json() if f["faultId"] == fault_id]
        assert (listed["fired"], listed["remaining"], listed["active"]) == (6, 0, False)
        assert a.delete(f"/_localexa/faults/{fault_id}").status_code == 204


def test_concurrent_clock_advances_through_both_processes_all_count(pair: Pair) -> None:
    [before] = query(pair.database_url, "SELECT offset_seconds FROM clock_state WHERE id = 1") or [(0.0,)]

    def advance(server: ServerProcess) -> None:
        with server.client(headers=server.admin_headers) as http:
            for _ in range(5):
                moved = http.post("/_localexa/clock", json={"advanceSeconds": 1})
                assert moved.status_code == 200, moved.text

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(advance, [pair.a, pair.b] * 2))
    [after] = query(pair.database_url, "SELECT offset_seconds FROM clock_state WHERE id = 1")
    assert after[0] - before[0] == 20
