"""A long-running `localexa serve` leaks nothing: what it holds is back where it was after the
warm-up, round after round of a realistic mixed workload (bench/soak.py, README "Performance,
scale and crash safety").

The served process gets a real skill host on 127.0.0.1 (My Lights behind a `/skill` that answers
slowly, with HTTP 500, broken JSON or too late, and a token URL that answers too late) and its
`python:` handlers. Each round: customers sign in through the `/ap/oa` pages, refresh, link an
HTTP and a Lambda-style skill (the after-link Discover and AcceptGrant run), send every kind of
directive, events and Credential Locker calls; links whose token URL refuses; skills with new
`python:` handlers; an evaluation run; faults; console pages; the journal; a snapshot, a restore
and a reset. One warm-up round, then `ROUNDS` more: every check below is exact or names its
slack, so one round's growth fails it (bench/soak.py runs the mix for minutes). Before each
sample the callers' connections are closed and the server settles (`Probe.settle`: no
connection but its pools', nothing under way).

What must hold at the end, against the sample after the warm-up (the slack is documented here):
- open fds outside the database and Redis pools: no more (each sample waits until the open fds
  are the same in two samples in a row, so a socket on its way in or out is not counted: seen
  both ways on loaded machines; a last sample over the warm-up's is taken again for up to
  `RESETTLE_SECONDS`, since one socket more was once seen to outlast that; SQLite keeps a closed
  connection's descriptor of a database file to reuse it: those are counted apart and stay within
  the pool's overflow, `_sqlite_spares` in bench/process_probe.py);
- threads: at most one more (the default executor starts a thread when more password checks
  overlap than during the warm-up);
- child processes (Lambda workers): none a zombie, at most `MAX_IDLE_WORKERS`. Not "as many":
  how many idle workers a sample finds depends on when the pool's reaper last retired the
  workers whose handler file a round deleted, which load moves (CI runs of the night of
  2026-12-06 on a slower machine found 2 -> 3 and 3 -> 7, and passed alone every time); their
  descriptors (a socket pair per standard stream, `FDS_PER_WORKER`) are counted apart for the
  same reason. Growth past the cap fails, and the cap is pinned on its own below;
- database connections: every one is a pooled one (PostgreSQL backends are the pool's
  connections, none idle in a transaction) and at most `POOL_SLACK` more than after the warm-up
  (a pool opens a connection when calls overlap more than before, and keeps it);
- Redis clients: every one is a pooled one (each names its pool, core/redis_pools.py) and no pool
  holds more than its bound, `MAX_CONNECTIONS`. Not "at most `POOL_SLACK` more": a Redis pool
  keeps as many connections as its commands ever overlapped, and the event loop's congestion
  sets that (the in-flight directives' pool held 5, 6, 6, 11 and 14 after the warm-up in five
  runs on a quiet machine; one slack for all pools failed CI at 3f2623a, 46 -> 50). The token
  epoch's and the rate limiter's pools are at their bound after every warm-up, so for them the
  old check was this one;
- series on /metrics but the outbound calls': exactly as many; outbound hosts with series at
  most `MAX_OUTBOUND_HOSTS` (the newest replace the oldest: a host's series are one per method
  and status it answered with, so their number moves a little as hosts come and go);
- asyncio tasks: as many (one per Lambda worker besides), no after-link follow-up held, Lambda
  handlers within the worker cap; the token cache, the journal's client lookups and the
  in-memory rate-limit counters no fuller (the round's reset empties them).
No timing is asserted. The in-process tests below pin each fix on its own.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.process_probe import REDIS_CLIENTS_NAMED, Sample, sockets_to_port
from bench.soak import Soak, soak_server
from bench.soak_calls import Mix
from fastapi import FastAPI
from redis.asyncio import Redis

from localexa.server.app import create_app
from localexa.server.core.redis_pools import MAX_CONNECTIONS, client_name
from localexa.server.core.redis_pools import USES as REDIS_USES
from localexa.server.db.engine import SQLITE_MAX_OVERFLOW
from localexa.server.directives.lambda_pool import MAX_IDLE_WORKERS, LambdaPool
from localexa.server.observe.metrics import MAX_OUTBOUND_HOSTS, Metrics
from localexa.server.settings import Settings
from tests.factories import Admin
from tests.scale.processes import (
    postgres_database,
    postgres_unreachable_reason,
    redis_unreachable_reason,
    redis_url_for_test,
)

#: Pooled connections (SQLite, PostgreSQL, Redis) a later round may add to the warm-up's.
POOL_SLACK = 3
#: SQLite descriptors kept for reuse: at most the pool's overflow (db/engine.py) for each of the
#: two engines on SQLite files (the state's and the journal's).
SQLITE_SPARES = 2 * SQLITE_MAX_OVERFLOW
WARM_UP_ROUNDS = 1
ROUNDS = 1
#: As many new `python:` handlers per round as idle workers are kept (so the warm-up reaches the
#: cap): without the cap every round left that many more processes. Each round ends with a
#: snapshot, a restore and a reset, so every sample sees the same (empty) state.
MIX = Mix(customers=2, fresh_lambdas=MAX_IDLE_WORKERS, refused_links=3, snapshot_every=1, reset_every=1)


def _backends() -> list[Any]:
    params: list[Any] = [pytest.param("sqlite", id="sqlite")]
    reason = postgres_unreachable_reason() or redis_unreachable_reason()
    params.append(
        pytest.param(
            "postgresql", id="postgresql-redis", marks=pytest.mark.skipif(bool(reason), reason=reason or "")
        )
    )
    return params


@pytest.fixture(params=_backends())
def soak(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Soak]:
    if request.param == "sqlite":
        with soak_server(tmp_path, mix=MIX, password_n=1024, close_connections=True) as served:
            yield served
        return
    with (
        postgres_database("localexa_leaks") as url,
        soak_server(
            tmp_path,
            database_url=url,
            redis_url=redis_url_for_test(),
            mix=MIX,
            password_n=1024,
            close_connections=True,
        ) as served,
    ):
        yield served


async def _rounds(soak: Soak, count: int) -> Sample:
    for _ in range(count):
        await soak.workload.round()
    await soak.workload.drop_connections()
    return await soak.probe.settle()


#: How long a last sample with more descriptors than the warm-up's is taken again before it
#: counts: a leak stays; a socket some round left to be closed later goes.
RESETTLE_SECONDS = 10.0


_IN_TRANSACTION = "PostgreSQL backends: idle in transaction"


async def _measure(soak: Soak) -> tuple[Sample, Sample]:
    workload = soak.workload
    try:
        warm = await _rounds(soak, WARM_UP_ROUNDS)
        end = await _rounds(soak, ROUNDS)
        # Seen in CI under load, once in many runs: one socket more (not TCP: every TCP category
        # was as before) in two samples 0.1 s apart, gone by the next run. The report names the
        # sockets' families (unix, udp, tcp, unknown) should it stay.
        # Likewise a PostgreSQL backend "idle in transaction" caught in the one sample (seen once,
        # 2026-12-05: a background poll between two statements of its transaction): a leaked
        # transaction stays, a poll's is gone a moment later.
        deadline = asyncio.get_running_loop().time() + RESETTLE_SECONDS
        while (
            _outside_pools(end) > _outside_pools(warm) or end.values.get(_IN_TRANSACTION, 0) > 0
        ) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(1.0)
            end = await soak.probe.settle()
    finally:
        await workload.aclose()
    return warm, end


#: Descriptors the server holds for each Lambda worker: its stdin, stdout and stderr (unix sockets).
FDS_PER_WORKER = 3


def _outside_pools(sample: Sample) -> float:
    v = sample.values
    pools = v["  SQLite files open"] + v.get("TCP to PostgreSQL", 0) + v.get("TCP to Redis", 0)
    return v["open fds"] - pools - FDS_PER_WORKER * v["child processes"]


@pytest.mark.slow
def test_a_served_process_holds_no_more_after_rounds_of_the_mix(soak: Soak) -> None:
    warm, end = asyncio.run(_measure(soak))
    before, after = warm.values, end.values
    report = "\n".join(
        [f"{name}: {before.get(name)} -> {after.get(name)}" for name in dict.fromkeys([*before, *after])]
        + [f"new series: {name}" for name in sorted(end.series - warm.series)]
        + [f"refused: {op} {status}: {body}" for (op, status), body in soak.workload.refusals.items()]
    )
    assert not soak.workload.failures(), soak.workload.failures()
    assert not soak.workload.refused_what_must_succeed(), soak.workload.refused_what_must_succeed()

    assert _outside_pools(end) <= _outside_pools(warm), report
    assert after["  SQLite descriptors kept for reuse"] <= SQLITE_SPARES, report
    assert after["threads"] <= before["threads"] + 1, report
    assert after["child processes"] <= MAX_IDLE_WORKERS, report
    assert after["  of which zombies"] == 0, report
    outbound = "  of which outbound calls'"
    assert after["series on /metrics"] - after[outbound] == before["series on /metrics"] - before[outbound], (
        report
    )
    tasks = "localexa_asyncio_tasks"
    assert after[tasks] - after["child processes"] == before[tasks] - before["child processes"], report
    held = "localexa_in_memory_entries[{}]"
    assert after[held.format("after_link_follow_ups")] == 0, report
    assert after[held.format("lambda_handlers")] <= MAX_IDLE_WORKERS, report
    assert after[held.format("outbound_hosts")] <= MAX_OUTBOUND_HOSTS, report
    for emptied_by_reset in ("token_cache", "journal_client_lookups", "rate_limit_counters"):
        name = held.format(emptied_by_reset)
        assert after.get(name, 0) <= before.get(name, 0), report

    for pooled in ("localexa_db_connections[state,idle]", "localexa_db_connections[journal,idle]"):
        if pooled in after:
            assert after[pooled] <= before[pooled] + POOL_SLACK, report
    if "PostgreSQL backends: all" in after:
        assert after["PostgreSQL backends: all"] == after["localexa_db_connections[state,idle]"], report
        assert after["PostgreSQL backends: all"] == after["TCP to PostgreSQL"], report
        assert after[_IN_TRANSACTION] == 0, report
        assert after["PostgreSQL backends: all"] <= before["PostgreSQL backends: all"] + POOL_SLACK, report
    if "Redis clients (CLIENT LIST, its db)" in after:
        clients = after["Redis clients (CLIENT LIST, its db)"]
        assert clients == after["TCP to Redis"], report
        # Every client is one of the pools' (each names itself), and no pool is past its bound.
        redis_pools = {f"  {REDIS_CLIENTS_NAMED}{client_name(use)}" for use in REDIS_USES}
        assert {name for name in after if name.startswith(f"  {REDIS_CLIENTS_NAMED}")} <= redis_pools, report
        for name in redis_pools:
            assert after.get(name, 0) <= MAX_CONNECTIONS, report


# -- each fix on its own, in process -------------------------------------------------------------


def _outbound_hosts(text: str) -> set[str]:
    return {
        line.split('host="', 1)[1].split('"', 1)[0]
        for line in text.splitlines()
        if line.startswith("localexa_outbound_requests_total{")
    }


def test_outbound_series_keep_the_latest_hosts_and_never_a_password() -> None:
    metrics = Metrics()
    for port in range(1, 2 * MAX_OUTBOUND_HOSTS + 1):
        metrics.observe_outbound("POST", f"http://alexa:s3cret@127.0.0.1:{port}/token", 400, 0.01)
        metrics.observe_outbound("POST", "http://127.0.0.1:9/skill", None, 0.01)  # called all along
    text = metrics.render().decode()
    hosts = _outbound_hosts(text)
    assert len(hosts) == MAX_OUTBOUND_HOSTS
    assert "127.0.0.1:9" in hosts  # called most recently: kept
    assert f"127.0.0.1:{2 * MAX_OUTBOUND_HOSTS}" in hosts
    assert "127.0.0.1:1" not in hosts
    latency = {
        line.split('host="', 1)[1].split('"', 1)[0]
        for line in text.splitlines()
        if line.startswith("localexa_outbound_request_duration_seconds_count{")
    }
    assert latency == hosts
    assert "s3cret" not in text
    assert "alexa:" not in text


def _workers_of_this_process() -> list[int]:
    """Lambda workers this test process started, from /proc (alive, not zombies)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and stat[0] != "Z" and b"lambda_runner" in command:
            found.append(int(entry.name))
    return found


@pytest.fixture
async def pools() -> AsyncIterator[list[LambdaPool]]:
    made: list[LambdaPool] = []
    yield made
    for pool in made:
        await pool.aclose()


async def test_an_idle_worker_ends_without_another_call(pools: list[LambdaPool]) -> None:
    pool = LambdaPool(idle_seconds=0.2)
    pools.append(pool)
    answer = await pool.invoke("tests.directives.handlers:moody", {"mode": "count"}, timeout=10)
    pid = answer.report["result"]["pid"]
    assert pid in _workers_of_this_process()
    for _ in range(400):  # the reaper looks every 0.05 s; 20 s at most on a loaded machine
        if pid not in _workers_of_this_process():
            break
        await asyncio.sleep(0.05)
    assert pid not in _workers_of_this_process()
    assert pool.counts() == (0, 0, 0)  # its slot and idle list went with it


async def test_idle_workers_stay_within_the_cap_whatever_the_number_of_handlers(
    pools: list[LambdaPool],
) -> None:
    pool = LambdaPool(max_idle=2)
    pools.append(pool)
    names = ("moody", "nap_then_pid", "return_list", "raise_error", "echo")
    for name in names:
        event: dict[str, Any] = {"directive": {"header": {}}} if name == "echo" else {"mode": "count"}
        await pool.invoke(f"tests.directives.handlers:{name}", event, timeout=10)
    idle, busy, handlers = pool.counts()
    assert (idle, busy, handlers) == (2, 0, 2)
    assert len(_workers_of_this_process()) == 2
    # The most recently used stay warm: the last handler's next call finds its worker.
    assert (
        await pool.invoke("tests.directives.handlers:echo", {"directive": {"header": {}}}, timeout=10)
    ).report["ok"]
    assert len(_workers_of_this_process()) == 2


async def test_the_journal_keeps_a_bounded_number_of_client_lookups(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    journal = app.state.journal
    journal.max_client_lookups = 2
    customer = await admin.customer()
    skills = [await admin.skill(permissions=["alexa::thread_network_credentials:read"]) for _ in range(4)]
    for skill in skills:
        token = (
            await admin.tokens(skill.messaging_client_id, customer.user_id, ["alexa::async_event:write"])
        )["access_token"]
        listed = await client.get(
            "/credentiallocker/v2/threadNetworks",
            params={"extendedPanId": "dead00beef00cafe"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert listed.status_code == 200, listed.text
        await journal.flush()
    assert journal.client_lookups == 2
    entries = await client.get(
        "/_localexa/journal", params={"path": "/credentiallocker/"}, headers=admin.headers
    )
    assert [e["skill"] for e in entries.json()["entries"]] == [s.skill_id for s in reversed(skills)]


async def test_a_burst_of_calls_leaves_a_bounded_number_of_redis_connections(tmp_path: Path) -> None:
    reason = redis_unreachable_reason()
    if reason:
        pytest.skip(reason)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'localexa.db'}",
        demo=False,
        admin_key="leaks-admin-key",
        password_hash_n=1024,
        redis_url=redis_url_for_test(),
        rate_limit="1000000/minute",
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as client,
    ):
        admin = Admin(client, "leaks-admin-key")
        skill = await admin.skill()
        token = await admin.access_token(skill.developer.user_id, ["alexa::ask:skills:readwrite"])
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/v1/skills/{skill.skill_id}/stages/development/enablement"
        assert (await client.put(path, headers=headers)).status_code == 204
        # Each GET reads the token epoch and counts its rate limit in Redis, all at once.
        answers = await asyncio.gather(*(client.get(path, headers=headers) for _ in range(150)))
        assert {a.status_code for a in answers} == {204}
        # Two pools (the token epoch's, the rate limiter's): redis-py's own kept one connection
        # per call that found none free, ~100 here, for the life of the process.
        assert sockets_to_port(os.getpid(), 6379) <= 2 * MAX_CONNECTIONS
        # Each connection names its pool in Redis (a shared Redis's CLIENT LIST tells them apart).
        redis = Redis.from_url(redis_url_for_test())
        try:
            own, listed = await redis.client_id(), await redis.client_list()
        finally:
            await redis.aclose()
        db = str(redis.connection_pool.connection_kwargs.get("db", 0))
        names = Counter(c["name"] for c in listed if c["db"] == db and int(c["id"]) != own)
        ours = {client_name("token-epoch"), client_name("rate-limits")}
        assert ours <= set(names), names  # another app on the database may hold more
        assert max(names[name] for name in ours) <= MAX_CONNECTIONS, names
