"""What each process keeps in memory goes stale when the other process writes; these check that it
goes stale no longer than README says ("Several processes behave as one").

Two `localexa serve` processes (conftest.py `pair`) on one PostgreSQL and one Redis are driven
through A then B:
- the active faults: each process re-reads them at most every 0.5 s (a bounded window), a fault
  deleted or retired through A neither fires nor counts through B at once;
- the clock offset: re-read at most every 0.5 s, and every call after that is judged and
  journaled by the moved clock, the first one included;
- a reset or restore through A: its clock and faults are B's within the same bound, and a
  token B had cached ends at once (the Redis token epoch);
- a customer or a skill deleted through A: the tokens B had cached of them end at once (the same
  epoch; the rows go by ON DELETE CASCADE, which no Python code sees).

Faults here match only paths of this test's own customer, and each test deletes its faults, so
they touch no other test of the module.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from localexa.server.core.clock import as_utc
from tests.scale.conftest import Pair
from tests.scale.processes import ServerProcess, query
from tests.scale.world import ACCOUNT_LINKING, READWRITE, app_token, bearer, customer, skill, token

pytestmark = pytest.mark.slow

#: The refresh interval of the fault store and of the clock (README: "at most every 0.5 s").
REFRESH = 0.5
#: Past the interval, with room for a slow machine's scheduling.
PAST_REFRESH = REFRESH + 0.15
FAULT_HEADER = "X-Localexa-Fault"


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@contextmanager
def _clients(pair: Pair) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Open connections to both (so timings measure requests, not connection set-up)."""
    with pair.a.client(headers=pair.a.admin_headers) as a, pair.b.client(headers=pair.b.admin_headers) as b:
        a.get("/_localexa/health")
        b.get("/_localexa/health")
        yield a, b


def _fault(server: ServerProcess, **body: Any) -> str:
    fault_id: str = server.admin("faults", {"status": 503, **body})["faultId"]
    return fault_id


def _faults(http: httpx.Client) -> dict[str, dict[str, Any]]:
    listed = http.get("/_localexa/faults")
    assert listed.status_code == 200, listed.text
    return {f["faultId"]: f for f in listed.json()}


def _delete_faults(http: httpx.Client, *fault_ids: str) -> None:
    for fault_id in fault_ids:
        assert http.delete(f"/_localexa/faults/{fault_id}").status_code in (204, 404)


def test_a_fault_created_on_one_process_fires_on_the_other_within_the_refresh_interval(pair: Pair) -> None:
    user_id = customer(pair.a)
    path = f"/_localexa/customers/{user_id}"
    with _clients(pair) as (a, b):
        assert b.get(path).status_code == 200  # B has read the (empty) faults now
        fault_id = _fault(pair.a, method="GET", path=path)
        try:
            assert a.get(path).headers.get(FAULT_HEADER) == fault_id  # at once on A
            time.sleep(PAST_REFRESH)
            got = b.get(path)  # the first call on B past the interval
            assert got.status_code == 503, got.text
            assert got.headers.get(FAULT_HEADER) == fault_id
        finally:
            _delete_faults(a, fault_id)


def test_a_fault_deleted_on_one_process_stops_on_the_other_at_once(pair: Pair) -> None:
    user_id = customer(pair.a)
    path = f"/_localexa/customers/{user_id}"
    fault_id = _fault(pair.a, method="GET", path=path)
    with _clients(pair) as (a, b):
        try:
            time.sleep(PAST_REFRESH)
            assert b.get(path).status_code == 503  # B holds the fault in its cache now
            assert a.delete(f"/_localexa/faults/{fault_id}").status_code == 204
            got = b.get(path)  # within B's refresh interval: its cache still lists the fault
            assert got.status_code == 200, got.text
            assert FAULT_HEADER not in got.headers
        finally:
            _delete_faults(a, fault_id)


def test_a_fault_retired_on_one_process_counts_no_match_on_the_other(pair: Pair) -> None:
    """A `count` fault spent through A is retired for B at once: B's cached copy neither fires
    nor counts the call in `matched` (one process counts 1 match for 1 firing; two did 2)."""
    user_id = customer(pair.a)
    path = f"/_localexa/customers/{user_id}"
    other = customer(pair.a, "Other")
    with _clients(pair) as (a, b):
        for _attempt in range(5):
            fault_id = _fault(pair.a, method="GET", path=path, count=1)
            try:
                time.sleep(PAST_REFRESH)
                started = time.monotonic()
                assert b.get(f"/_localexa/customers/{other}").status_code == 200  # B loads the fault
                spent = a.get(path)
                assert spent.status_code == 503, spent.text  # its one firing, through A
                got = b.get(path)
                in_window = time.monotonic() - started < REFRESH
                assert got.status_code == 200, got.text
                assert FAULT_HEADER not in got.headers
                listed = _faults(a)[fault_id]
            finally:
                _delete_faults(a, fault_id)
            if not in_window:
                continue  # B re-read the faults before its call: the stale copy was not used
            assert (listed["fired"], listed["remaining"], listed["active"]) == (1, 0, False)
            assert listed["matched"] == 1, listed
            return
    pytest.fail("B's call never came within its refresh interval (5 tries): nothing was checked")


def test_clock_advanced_on_one_process_judges_tokens_on_the_other_within_the_refresh_interval(
    pair: Pair,
) -> None:
    owner = skill(pair.a)
    access = app_token(pair.a, owner.developer, [READWRITE])
    path = f"/v1/skills/{owner.skill_id}/stages/development/enablement"
    with pair.b.client() as http:
        assert http.get(path, headers=bearer(access)).status_code == 404  # live on B
    pair.a.admin("clock", {"advanceSeconds": 3601})
    time.sleep(PAST_REFRESH)
    with pair.b.client() as http:
        answer = http.get(path, headers=bearer(access))  # the first call past the interval
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "EXPIRED_TOKEN"


def test_a_call_the_other_process_serves_by_the_moved_clock_is_journaled_by_it(pair: Pair) -> None:
    """B stamped a call's journal entry before it re-read the clock: the call that first saw an
    advance made through A (its customer's `created_at` is by the moved clock) was journaled by
    the clock before the advance. B's evaluation worker also re-reads the clock (every ~1 s), so
    a round in which B had read it moments before is inconclusive (B served the call by the old
    clock, within the 0.5 s bound, and journaled it so): rounds repeat until one is not."""
    with _clients(pair) as (a, b):
        for _round in range(10):
            assert b.get("/_localexa/health").status_code == 200  # B re-reads the clock now
            time.sleep(REFRESH + 0.05)
            moved = a.post("/_localexa/clock", json={"advanceSeconds": 60})
            assert moved.status_code == 200, moved.text
            now = _when(moved.json()["now"])
            email = f"moved-{secrets.token_hex(6)}@example.com"
            made = b.post(
                "/_localexa/customers",
                json={"name": "Moved", "email": email, "password": "pw", "region": "NA"},
            )
            assert made.status_code == 201, made.text
            [created] = query(pair.database_url, "SELECT created_at FROM customers WHERE email = :e", e=email)
            if as_utc(created.created_at) < now:
                continue  # B served it by the clock before the advance: nothing to check
            journal = b.get("/_localexa/journal", params={"requestId": made.headers["X-Amzn-RequestId"]})
            assert journal.status_code == 200, journal.text
            [entry] = journal.json()["entries"]
            assert _when(entry["time"]) >= now, (entry["time"], moved.json()["now"])
            return
    pytest.fail("B never served a call by the moved clock in 10 rounds: nothing was checked")


def test_a_restore_on_one_process_ends_what_the_other_cached_of_the_state_it_replaced(pair: Pair) -> None:
    """A restore through A of a snapshot taken before a skill, its token and a fault existed:
    B, which had cached the token's answer, the fault and the clock, serves the restored state
    (the token ends at once through the Redis token epoch; the fault at once; the clock within
    the refresh interval)."""
    with _clients(pair) as (a, b):
        taken = a.post("/_localexa/snapshot")
        assert taken.status_code == 200, taken.text
        # Moved after the snapshot (and before the token, which would expire with it).
        moved = a.post("/_localexa/clock", json={"advanceSeconds": 7 * 86400})
        assert moved.status_code == 200, moved.text
        owner = skill(pair.a)
        access = app_token(pair.a, owner.developer, [READWRITE])
        path = f"/v1/skills/{owner.skill_id}/stages/development/enablement"
        fault_id = _fault(pair.a, method="GET", path=f"/_localexa/customers/{owner.developer}")
        time.sleep(PAST_REFRESH)
        assert b.get(path, headers=bearer(access)).status_code == 404  # live on B, and cached
        assert b.get(f"/_localexa/customers/{owner.developer}").status_code == 503
        restored = a.post("/_localexa/restore", json=taken.json())
        assert restored.status_code == 200, restored.text
        answer = b.get(path, headers=bearer(access))
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == "INVALID_TOKEN"
        gone = b.get(f"/_localexa/customers/{owner.developer}")
        assert gone.status_code == 404, gone.text
        assert FAULT_HEADER not in gone.headers
        time.sleep(PAST_REFRESH)
        answered = b.get(f"/_localexa/customers/{owner.developer}")
        journal = b.get("/_localexa/journal", params={"requestId": answered.headers["X-Amzn-RequestId"]})
    assert fault_id not in _faults_of(pair.a)
    [entry] = journal.json()["entries"]
    # The snapshot's clock is a week behind the advanced one.
    assert _when(entry["time"]) < _when(moved.json()["now"]) - timedelta(days=6), entry["time"]


def test_a_reset_on_one_process_is_the_others_clock_and_faults(pair: Pair) -> None:
    """After a reset through A, B's clock is back at the wall clock within the refresh interval,
    and a fault B cached before the reset never fires again. (The other tests of the module make
    their own state and need none of what it empties.)"""
    user_id = customer(pair.a)
    path = f"/_localexa/customers/{user_id}"
    pair.a.admin("clock", {"advanceSeconds": 10 * 86400})
    fault_id = _fault(pair.a, method="GET", path=path)
    with _clients(pair) as (a, b):
        time.sleep(PAST_REFRESH)
        assert b.get(path).status_code == 503  # B holds the fault and the advanced clock
        reset = a.post("/_localexa/reset")
        assert reset.status_code == 200, reset.text
        wall = _when(reset.json()["now"])
        # The customer is gone with the reset: 404 from B, and not the fault's 503.
        got = b.get(path)
        assert got.status_code == 404, got.text
        assert FAULT_HEADER not in got.headers
        time.sleep(PAST_REFRESH)
        answered = b.get(path)  # the first call past the interval
        request_id = answered.headers["X-Amzn-RequestId"]
        journal = b.get("/_localexa/journal", params={"requestId": request_id})
    assert journal.status_code == 200, journal.text
    [entry] = journal.json()["entries"]
    # By the clock before the reset it would be ten days ahead.
    assert abs((_when(entry["time"]) - wall).total_seconds()) < 60, (entry["time"], wall)
    assert fault_id not in _faults_of(pair.a)


def test_tokens_of_a_customer_or_skill_deleted_on_one_process_end_on_the_other_at_once(pair: Pair) -> None:
    """B cached the answers of a customer's app token and of the skill's messaging-client token;
    deleting the skill through A ends the messaging token on B at once (the app token stays),
    deleting the customer through A ends the app token on B at once."""
    owner = skill(pair.a)
    user_id = customer(pair.a)
    linking = app_token(pair.a, user_id, [ACCOUNT_LINKING])
    messaging = token(pair.a, owner.messaging_client_id, user_id, ["profile"])
    with _clients(pair) as (a, b):
        assert b.get("/v1/alexaApiEndpoint", headers=bearer(linking)).status_code == 200  # cached on B
        assert b.get("/user/profile", headers=bearer(messaging)).status_code == 200
        assert a.delete(f"/_localexa/skills/{owner.skill_id}").status_code == 204
        assert b.get("/user/profile", headers=bearer(messaging)).status_code == 401
        assert b.get("/v1/alexaApiEndpoint", headers=bearer(linking)).status_code == 200
        assert a.delete(f"/_localexa/customers/{user_id}").status_code == 204
        assert b.get("/v1/alexaApiEndpoint", headers=bearer(linking)).status_code == 401
        assert b.delete(f"/_localexa/customers/{user_id}").status_code == 404
        assert b.delete(f"/_localexa/customers/{owner.developer}").status_code == 204


def _faults_of(server: ServerProcess) -> dict[str, dict[str, Any]]:
    with server.client(headers=server.admin_headers) as http:
        return _faults(http)
