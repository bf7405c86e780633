"""A rolling upgrade: another process changes the schema under a running `localexa serve`.

asyncpg keeps each statement SQLAlchemy prepares, per connection. A schema change made elsewhere
that changes what a statement returns (here: every VARCHAR column widened by one, the kind of
change a newer release's migration makes, harmless to the running one) makes PostgreSQL refuse
the cached plans ("cached plan must not change result type"; an added column or an ALTER to the
same type does not). The process was warmed up first, so its pooled connections hold those plans;
every call after the change must answer as before the change (db/stale_plans.py re-runs a
statement that opened its transaction), its write must be stored, and its journal entry kept.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.scale.processes import (
    ServerProcess,
    execute,
    postgres_database,
    postgres_unreachable_reason,
    query,
    shared_secrets,
)
from tests.scale.world import READWRITE, THREAD_PERMISSION, bearer, customer, skill, token

pytestmark = pytest.mark.slow

LOCKER = "/credentiallocker/v2/threadNetworks"
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def widen_varchar(tables: str) -> str:
    """Widen every VARCHAR(n) of the tables `tables` matches (a SQL LIKE pattern) to n + 1, in one
    transaction as a migration would: a change of result type for every statement that returns
    such a column. The faults table is left alone: its statement (re-read at most every 0.5 s by
    every call) degrades to "no faults" on any error, so it would absorb the one failure the
    dialect lets through before it refreshes its caches, and hide what the calls answer."""
    return f"""
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT table_name, column_name, character_maximum_length AS n
           FROM information_schema.columns
           WHERE table_schema = 'public' AND data_type = 'character varying'
             AND character_maximum_length IS NOT NULL
             AND table_name LIKE '{tables}' AND table_name NOT IN ('alembic_version', 'faults')
  LOOP
    EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE varchar(%s)', c.table_name, c.column_name, c.n + 1);
  END LOOP;
END $$
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(f"needs PostgreSQL: {reason}")
    root: Path = tmp_path_factory.mktemp("schema_change")
    keys = shared_secrets()
    # No Redis: on PostgreSQL the token cache is then off, so every call checks its token with a
    # statement of its own (one more cached plan to go stale).
    env = {"LOCALEXA_SECRET_KEY": keys["secret_key"], "LOCALEXA_PASSWORD_HASH_N": "1024"}
    with postgres_database("localexa_schema_change") as url:
        process = ServerProcess(root / "a", keys["admin_key"], env, database_url=url)
        process.start()
        try:
            yield process, url
        finally:
            process.stop()


def _network(n: int) -> dict[str, Any]:
    return {
        "extendedPanId": f"dead00beef00{n:04x}",
        "networkName": f"Home {n}",
        "networkKey": "00112233445566778899aabbccddeeff",
        "panId": "1234",
        "channelNumber": 15,
    }


def _calls(server: ServerProcess, round_: int, world: dict[str, Any]) -> list[httpx.Response]:
    """One of each call: reads and writes through tokens, the token endpoint, the admin API."""
    answers: list[httpx.Response] = []
    with server.client() as http:
        answers.append(http.get(world["enablement"], headers=bearer(world["developer_token"])))
        answers.append(
            http.put(LOCKER, json={"threadNetwork": _network(round_)}, headers=bearer(world["locker_token"]))
        )
        pan = {"extendedPanId": _network(round_)["extendedPanId"]}
        answers.append(http.get(LOCKER, params=pan, headers=bearer(world["locker_token"])))
        refreshed = http.post(
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": world["refresh_token"],
                "client_id": world["app"]["clientId"],
                "client_secret": world["app"]["clientSecret"],
            },
        )
        if refreshed.status_code == 503 and "schema changed" in refreshed.text:
            # The refresh re-reads localexa's clock first when its refresh is due; the stale plan
            # then comes mid-transaction, which answers 503 with Retry-After by design (the next
            # test): a client retries (seen once in CI, 2026-12-05, when the clock was due).
            refreshed = http.post("/auth/o2/token", content=refreshed.request.content, headers=_FORM)
        answers.append(refreshed)
        if refreshed.status_code == 200:
            world["refresh_token"] = refreshed.json()["refresh_token"]
        answers.append(http.get(f"/_localexa/customers/{world['user']}", headers=server.admin_headers))
        email = f"new-{round_}-{time.monotonic_ns()}@example.com"
        answers.append(
            http.post(
                "/_localexa/customers",
                json={"name": "New", "email": email, "password": "pw", "region": "NA"},
                headers=server.admin_headers,
            )
        )
    return answers


@pytest.fixture(scope="module")
def world(server: tuple[ServerProcess, str]) -> dict[str, Any]:
    """A customer, a skill, tokens of an app and of the skill's messaging client."""
    process, _url = server
    owner = skill(process, permissions=[THREAD_PERMISSION])
    user = customer(process)
    app = process.admin("lwa-clients", {"name": "App", "redirectUris": ["https://app.example.com/cb"]})
    issued = process.admin("tokens", {"clientId": app["clientId"], "userId": user, "scopes": ["profile"]})
    return {
        "user": user,
        "app": app,
        "refresh_token": issued["refresh_token"],
        "developer_token": token(process, app["clientId"], owner.developer, [READWRITE]),
        "locker_token": token(process, owner.messaging_client_id, user, ["alexa::async_event:write"]),
        "enablement": f"/v1/skills/{owner.skill_id}/stages/development/enablement",
        "round": 0,
    }


#: What each call of `_calls` answers when all is well.
AS_BEFORE = [404, 200, 200, 200, 200, 201]


def _warm_up(process: ServerProcess, world: dict[str, Any]) -> None:
    """Several rounds, so every pooled connection in use holds the plans."""
    for _ in range(3):
        world["round"] += 1
        answers = _calls(process, world["round"], world)
        assert [r.status_code for r in answers] == AS_BEFORE, [(r.status_code, r.text) for r in answers]


def _stored_networks(url: str) -> list[str]:
    rows = query(url, "SELECT extended_pan_id FROM thread_networks ORDER BY extended_pan_id")
    return [row[0] for row in rows]


def test_calls_after_another_process_changes_the_schema_answer_as_before(
    server: tuple[ServerProcess, str], world: dict[str, Any]
) -> None:
    process, url = server
    _warm_up(process, world)
    execute(url, widen_varchar("%"))

    after: list[httpx.Response] = []
    first = world["round"] + 1
    for _ in range(3):
        world["round"] += 1
        after += _calls(process, world["round"], world)
    # Before the fix the first call after the change (its token check met a stale plan) was a 500.
    assert [r.status_code for r in after] == AS_BEFORE * 3, [(r.status_code, r.text[:300]) for r in after]
    # The writes made after the change are stored, each once.
    stored = _stored_networks(url)
    for n in range(first, world["round"] + 1):
        assert stored.count(_network(n)["extendedPanId"]) == 1, (n, stored)
    log = process.log()
    # The change did make cached plans stale (else this test proves nothing) ...
    assert "made a cached statement stale" in log, log
    assert "Traceback" not in log, log
    # ... and the journal kept an entry for every call after it.
    missing: list[str] = []
    with process.client() as http:
        for answer in after:
            request_id = answer.headers["X-Amzn-RequestId"]
            found = http.get(
                "/_localexa/journal", params={"requestId": request_id}, headers=process.admin_headers
            )
            assert found.status_code == 200, found.text
            if not found.json()["entries"]:
                missing.append(request_id)
    assert missing == [], (missing, log)


#: More GETs than the pool has connections: one of them meets a connection that holds the plan.
POOL_TRIES = 30


def test_a_stale_plan_mid_transaction_answers_503_and_the_retry_succeeds(
    server: tuple[ServerProcess, str], world: dict[str, Any]
) -> None:
    """Only the Thread network table changes: the GET's first statements (the token, the skill's
    permissions) still hold, so the stale one (the page of networks) comes mid-transaction, where
    re-running it alone would drop what came before it. The call answers 503 in the API's shape
    with Retry-After, and its retry succeeds; a write after it is stored once."""
    process, url = server
    _warm_up(process, world)
    execute(url, widen_varchar("thread_networks"))

    seen = {"extendedPanId": _network(world["round"])["extendedPanId"]}
    new = _network(1000)
    auth = bearer(world["locker_token"])
    with process.client() as http:
        # The GET may be given a pooled connection the warm-up never used (one was busy writing
        # the journal, say): it prepares the statement afresh and answers 200. The next GETs come
        # to the warmed connections.
        for _ in range(POOL_TRIES):
            refused = http.get(LOCKER, params=seen, headers=auth)
            if refused.status_code != 200:
                break
            assert [n["extendedPanId"] for n in refused.json()["threadNetworks"]] == [seen["extendedPanId"]]
        assert refused.status_code == 503, (refused.text, process.log())  # before the fix: 500
        assert refused.headers["Retry-After"] == "1"
        assert "schema changed" in refused.json()["message"], refused.text
        retried = http.get(LOCKER, params=seen, headers=auth)
        assert retried.status_code == 200, retried.text
        assert [n["extendedPanId"] for n in retried.json()["threadNetworks"]] == [seen["extendedPanId"]]
        stored = http.put(LOCKER, json={"threadNetwork": new}, headers=auth)
        assert stored.status_code == 200, stored.text
    assert _stored_networks(url).count(new["extendedPanId"]) == 1
    assert "Traceback" not in process.log(), process.log()


def test_without_the_adapter_attribute_a_statement_counts_as_mid_transaction() -> None:
    """Should a later SQLAlchemy rename the asyncpg adapter's `_transaction`, a stale plan must
    answer 503, never be re-run on a guess (a re-run mid-transaction would lose what came before)."""
    from types import SimpleNamespace

    from localexa.server.db.stale_plans import _opens_transaction

    assert _opens_transaction(SimpleNamespace(_adapt_connection=SimpleNamespace(_transaction=None)))
    assert not _opens_transaction(SimpleNamespace(_adapt_connection=SimpleNamespace(_transaction=object())))
    assert not _opens_transaction(SimpleNamespace(_adapt_connection=SimpleNamespace()))
