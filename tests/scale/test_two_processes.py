"""Two server processes on one PostgreSQL and one Redis behave as one server.

The processes (conftest.py `pair`) are driven alternately: state written through one is read
through the other, races between them end with exactly one winner, a queued evaluation is run
once, the clock moved on one is the clock of the other, and the rate-limit budget is one budget.
"""

from __future__ import annotations

import signal
import time
from typing import Any

import httpx
import pytest

from tests.scale.conftest import RATE_LIMIT, REDIRECT, MyLights, Pair
from tests.scale.processes import ServerProcess, query
from tests.scale.world import (
    ACCOUNT_LINKING,
    READWRITE,
    THREAD_PERMISSION,
    app_token,
    bearer,
    concurrently,
    customer,
    skill,
    token,
)

pytestmark = pytest.mark.slow

LOCKER = "/credentiallocker/v2/threadNetworks"
NETWORK: dict[str, str | int] = {
    "extendedPanId": "dead00beef00cafe",
    "networkName": "Home",
    "networkKey": "00112233445566778899aabbccddeeff",
    "panId": "1234",
    "channelNumber": 15,
}


def alternate(pair: Pair, count: int) -> list[ServerProcess]:
    return [pair.a if n % 2 == 0 else pair.b for n in range(count)]


def test_what_one_process_writes_the_other_reads(pair: Pair) -> None:
    user_id = customer(pair.a)
    with pair.b.client() as http:
        got = http.get(f"/_localexa/customers/{user_id}", headers=pair.b.admin_headers)
    assert got.status_code == 200, got.text
    assert got.json()["userId"] == user_id
    # A token issued by A (hashed with the shared secret key) is live on B.
    owner = skill(pair.a)
    access = app_token(pair.a, owner.developer, [READWRITE])
    with pair.b.client() as http:
        status = http.get(
            f"/v1/skills/{owner.skill_id}/stages/development/enablement", headers=bearer(access)
        )
    assert status.status_code == 404, status.text  # known token, skill not enabled: not a 401


def test_concurrent_puts_of_one_thread_network_have_one_winner(pair: Pair) -> None:
    owner = skill(pair.a, permissions=[THREAD_PERMISSION])
    user_id = customer(pair.b)
    access = token(pair.b, owner.messaging_client_id, user_id, ["alexa::async_event:write"])
    put = {"json": {"threadNetwork": NETWORK}, "headers": bearer(access)}
    answers = concurrently([(server, "PUT", LOCKER, put) for server in alternate(pair, 8)])
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [409] * 7, [(r.status_code, r.text) for r in answers]
    for conflict in (r for r in answers if r.status_code == 409):
        assert conflict.json()["code"] == "ALREADY_EXISTS"
    for server in pair.both():
        with server.client() as http:
            got = http.get(LOCKER, params={"extendedPanId": NETWORK["extendedPanId"]}, headers=bearer(access))
        assert got.status_code == 200, got.text
        assert [n["networkName"] for n in got.json()["threadNetworks"]] == ["Home"]


def test_concurrent_enable_and_link_of_one_skill_has_one_winner(pair: Pair, mylights: MyLights) -> None:
    owner = skill(pair.a, account_linking=mylights.account_linking())
    user_id = customer(pair.b)
    access = app_token(pair.a, user_id, [ACCOUNT_LINKING])
    path = f"/v1/users/~current/skills/{owner.skill_id}/enablement"

    def body() -> dict[str, Any]:  # every request its own code: each exchange at My Lights succeeds
        link = {"redirectUri": REDIRECT, "authCode": mylights.auth_code(), "type": "AUTH_CODE"}
        return {"stage": "development", "accountLinkRequest": link}

    answers = concurrently(
        [(s, "POST", path, {"json": body(), "headers": bearer(access)}) for s in alternate(pair, 6)]
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201] + [409] * 5, [(r.status_code, r.text) for r in answers]
    rows = query(
        pair.database_url,
        "SELECT stage FROM enablements WHERE customer_id = :c AND skill_id = :s",
        c=user_id,
        s=owner.skill_id,
    )
    assert [r.stage for r in rows] == ["development"]
    for server in pair.both():
        with server.client() as http:
            got = http.get(path, headers=bearer(access))
        assert got.status_code == 200, got.text
        assert got.json()["accountLink"] == {"status": "LINKED"}


def test_each_evaluation_is_claimed_once(pair: Pair, mylights: MyLights) -> None:
    owner = skill(pair.a, account_linking=mylights.account_linking(), endpoint=f"{mylights.url}/skill")
    linker = app_token(pair.a, owner.developer, [ACCOUNT_LINKING])
    link = {"redirectUri": REDIRECT, "authCode": mylights.auth_code(), "type": "AUTH_CODE"}
    with pair.b.client() as http:
        linked = http.post(
            f"/v1/users/~current/skills/{owner.skill_id}/enablement",
            json={"stage": "development", "accountLinkRequest": link},
            headers=bearer(linker),
        )
    assert linked.status_code == 201, linked.text
    smapi = app_token(pair.b, owner.developer, [READWRITE])
    base = f"/v1/skills/{owner.skill_id}/smartHome/testing/capabilityEvaluations"
    with pair.a.client() as http:
        listed = http.get(
            f"/v1/skills/{owner.skill_id}/smartHome/testing/capabilityTestPlans", headers=bearer(smapi)
        )
    assert listed.status_code == 200, listed.text
    plan_ids = {p["name"]: p["id"] for p in listed.json()["testPlans"]}
    runs: list[str] = []
    # Two rounds of two runs (one run per endpoint at a time), each started through both processes.
    for plan in ("PowerController", "BrightnessController"):
        for server, endpoint in zip(pair.both(), ("kitchen", "porch"), strict=True):
            body = {
                "capabilityTestPlan": {"id": plan_ids[plan]},
                "endpoint": {"endpointId": endpoint},
                "stage": "development",
            }
            with server.client() as http:
                started = http.post(base, json=body, headers=bearer(smapi))
            assert started.status_code == 200, started.text
            runs.append(started.json()["id"])
        _wait_finished(pair.database_url, runs)
    rows = query(
        pair.database_url,
        "SELECT id, status, attempts, total_cases, "
        "(SELECT count(*) FROM capability_test_case_results r WHERE r.evaluation_id = e.id) AS done "
        "FROM capability_evaluations e WHERE e.skill_id = :s",
        s=owner.skill_id,
    )
    assert sorted(r.id for r in rows) == sorted(runs)
    for row in rows:
        assert row.status == "PASSED", row
        assert row.attempts == 1, row  # claimed by exactly one of the two workers, once
        assert row.done == row.total_cases > 0, row


def _wait_finished(database_url: str, runs: list[str], timeout: float = 90.0) -> None:
    """Read the runs' status from the database (polling the API would spend the rate limit)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = query(
            database_url,
            "SELECT status FROM capability_evaluations WHERE id = ANY(:ids)",
            ids=list(runs),
        )
        if rows and all(r.status in ("PASSED", "FAILED", "ERROR") for r in rows):
            return
        assert time.monotonic() < deadline, f"runs still going: {rows}"
        time.sleep(0.2)


def test_clock_advanced_on_one_process_is_the_clock_of_the_other(pair: Pair) -> None:
    owner = skill(pair.a)
    access = app_token(pair.a, owner.developer, [READWRITE])
    path = f"/v1/skills/{owner.skill_id}/stages/development/enablement"
    with pair.b.client() as http:
        assert http.get(path, headers=bearer(access)).status_code == 404  # live on B
    with pair.a.client() as http:
        before = http.get("/_localexa/clock", headers=pair.a.admin_headers).json()["now"]
        moved = http.post("/_localexa/clock", json={"advanceSeconds": 3601}, headers=pair.a.admin_headers)
    assert moved.status_code == 200, moved.text
    with pair.b.client() as http:
        seen = http.get("/_localexa/clock", headers=pair.b.admin_headers).json()["now"]
    assert seen >= moved.json()["now"] > before
    # B judges the token by the moved clock: it re-reads the shared offset at most every 0.5 s, so
    # poll (bounded) rather than assume how fast.
    deadline = time.monotonic() + 10
    with pair.b.client() as http:
        while (answer := http.get(path, headers=bearer(access))).status_code != 401:
            assert answer.status_code == 404, answer.text
            assert time.monotonic() < deadline, "B never saw the token expire"
            time.sleep(0.1)
    assert answer.json()["code"] == "EXPIRED_TOKEN"


def test_rate_limit_budget_is_shared_through_redis(pair: Pair) -> None:
    owner = skill(pair.a)
    access = app_token(pair.b, owner.developer, [READWRITE])
    path = f"/v1/skills/{owner.skill_id}/stages/development/enablement"
    budget = int(RATE_LIMIT.split("/")[0])
    answers: list[httpx.Response] = []
    clients = {server.port: server.client() for server in pair.both()}
    try:
        # The whole budget, half through each process: neither alone is near the limit.
        for server in alternate(pair, budget):
            answers.append(clients[server.port].get(path, headers=bearer(access)))
        assert [r.status_code for r in answers] == [404] * budget
        over = [clients[server.port].get(path, headers=bearer(access)) for server in pair.both()]
    finally:
        for http in clients.values():
            http.close()
    for refused in over:
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert set(refused.json()) >= {"code", "message"}  # SMAPI's StandardizedError


def test_a_revocation_on_one_process_ends_the_token_on_the_other_at_once(pair: Pair) -> None:
    """B caches its answer for a live token (lwa/token_cache.py); a write through A that deletes
    the token (here a reset) reaches B's cache through Redis before A answers. (Last in this
    module: a reset empties the shared state.)"""
    owner = skill(pair.a)
    access = app_token(pair.a, owner.developer, [READWRITE])
    path = f"/v1/skills/{owner.skill_id}/stages/development/enablement"
    with pair.b.client() as http:
        for _ in range(3):  # live on B, and cached there
            assert http.get(path, headers=bearer(access)).status_code == 404
    with pair.a.client() as http:
        reset = http.post("/_localexa/reset", headers=pair.a.admin_headers)
    assert reset.status_code == 200, reset.text
    with pair.b.client() as http:
        answer = http.get(path, headers=bearer(access))
    # A stale cached answer would let the call through to the (now missing) skill: a 404.
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "INVALID_TOKEN"


def _discarded(server: ServerProcess) -> float:
    with server.client() as http:
        text = http.get("/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("localexa_journal_discarded_total ")
    )


def test_a_reset_on_one_process_keeps_the_others_queued_journal_entries_out(pair: Pair) -> None:
    """B answers a call and is frozen (SIGSTOP) before its journal writer's batch is written; A
    resets; B thaws and writes: the entry of a call answered before the reset must not land.
    Freezing inside B's 20 ms linger is a race this test can lose (B wrote first, and the reset
    deleted the entry); it tries until B counts an entry it left out."""
    assert pair.b.process is not None
    for _attempt in range(10):
        before = _discarded(pair.b)
        with pair.b.client() as http:
            answered = http.get("/_localexa/clock", headers=pair.b.admin_headers)
            pair.b.process.send_signal(signal.SIGSTOP)
        try:
            with pair.a.client() as http:
                assert http.post("/_localexa/reset", headers=pair.a.admin_headers).status_code == 200
        finally:
            pair.b.process.send_signal(signal.SIGCONT)
        request_id = answered.headers["X-Amzn-RequestId"]
        with pair.b.client() as http:  # the journal API writes B's queue before it reads
            seen_by_b = http.get(
                "/_localexa/journal", params={"requestId": request_id}, headers=pair.b.admin_headers
            )
        with pair.a.client() as http:
            seen_by_a = http.get(
                "/_localexa/journal", params={"requestId": request_id}, headers=pair.a.admin_headers
            )
        assert seen_by_b.status_code == seen_by_a.status_code == 200
        assert seen_by_b.json()["entries"] == []
        assert seen_by_a.json()["entries"] == []
        if _discarded(pair.b) > before:
            return
    pytest.fail("B never had an entry queued when A reset (10 tries): the race was not exercised")
