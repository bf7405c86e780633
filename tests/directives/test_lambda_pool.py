"""The Lambda worker pool: warm reuse, and a fresh worker after a timeout, a crash or an edit."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from localexa.server.directives.lambda_pool import LambdaFailure, LambdaPool

MOODY = "tests.directives.handlers:moody"


@pytest.fixture
async def pool() -> AsyncIterator[LambdaPool]:
    lambdas = LambdaPool()
    yield lambdas
    await lambdas.aclose()


@pytest.fixture
async def one_worker() -> AsyncIterator[LambdaPool]:
    """A pool of one worker per handler: a second call waits for the first."""
    lambdas = LambdaPool(max_workers=1)
    yield lambdas
    await lambdas.aclose()


async def calls(pool: LambdaPool, target: str = MOODY) -> int:
    answer = await pool.invoke(target, {"mode": "count"}, timeout=10)
    count: int = answer.report["result"]["calls"]
    return count


async def test_a_warm_worker_keeps_its_globals(pool: LambdaPool) -> None:
    assert [await calls(pool) for _ in range(3)] == [1, 2, 3]


@pytest.mark.parametrize(("mode", "kind"), [("crash", "PROCESS_CRASHED"), ("sleep", "TIMEOUT")])
async def test_a_failed_call_ends_the_worker(pool: LambdaPool, mode: str, kind: str) -> None:
    assert await calls(pool) == 1
    # Only the sleep needs a short budget: with 1 s, a crashing worker the loaded machine did not
    # run for 1.2 s (SIGSTOP) was a TIMEOUT.
    timeout = 1 if kind == "TIMEOUT" else 10
    with pytest.raises(LambdaFailure) as failure:
        await pool.invoke(MOODY, {"mode": mode}, timeout=timeout)
    assert failure.value.kind == kind
    assert await calls(pool) == 1  # a new worker: the old one's state is gone


async def test_an_idle_worker_is_retired() -> None:
    pool = LambdaPool(idle_seconds=0)
    try:
        assert [await calls(pool) for _ in range(2)] == [1, 1]
    finally:
        await pool.aclose()


async def test_an_edited_handler_runs_as_edited(
    pool: LambdaPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    module = tmp_path / "edited_skill_handler.py"
    module.write_text("def handler(event, context):\n    return {'version': 1}\n")
    target = "edited_skill_handler:handler"
    assert (await pool.invoke(target, {}, timeout=10)).report["result"] == {"version": 1}

    module.write_text("def handler(event, context):\n    return {'version': 2}\n")
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    assert (await pool.invoke(target, {}, timeout=10)).report["result"] == {"version": 2}


async def test_concurrent_calls_get_their_own_workers_up_to_the_limit(
    pool: LambdaPool, one_worker: LambdaPool
) -> None:
    target = "tests.directives.handlers:nap_then_pid"
    answers = await asyncio.gather(*(pool.invoke(target, {}, timeout=10) for _ in range(2)))
    assert len({a.report["result"]["pid"] for a in answers}) == 2
    answers = await asyncio.gather(*(one_worker.invoke(target, {}, timeout=10) for _ in range(2)))
    assert len({a.report["result"]["pid"] for a in answers}) == 1


async def test_a_call_that_waits_for_a_busy_worker_spends_its_own_budget(one_worker: LambdaPool) -> None:
    stuck = asyncio.create_task(one_worker.invoke(MOODY, {"mode": "sleep"}, timeout=3))
    await asyncio.sleep(0)  # let it take the only worker
    with pytest.raises(LambdaFailure) as waiting:
        await one_worker.invoke(MOODY, {"mode": "count"}, timeout=0.5)
    assert waiting.value.kind == "TIMEOUT"
    assert "no free worker" in waiting.value.message
    with pytest.raises(LambdaFailure):
        await stuck


async def test_a_call_that_queued_is_told_the_time_it_has_left(one_worker: LambdaPool) -> None:
    """Lambda's `context.get_remaining_time_in_millis()` said the whole budget to a call that had
    waited for a worker for part of it (QA of 2026-12-05), and the call was then cut off early."""
    target = "tests.directives.handlers:nap_then_pid"
    first, second = await asyncio.gather(*(one_worker.invoke(target, {}, timeout=30) for _ in range(2)))
    remaining = sorted(a.report["result"]["remaining_ms"] for a in (first, second))
    # The first is told nearly the whole budget: less its worker's start and its 0.3 s nap, and
    # whatever a loaded machine adds (of 10 s with `> 9_000`, a 0.8 s stall left 8.9 s).
    assert remaining[1] > 25_000
    # The second waited ~0.3 s for the first to finish (its own start-up aside).
    assert remaining[0] < remaining[1] - 200, remaining


async def test_a_queued_call_that_times_out_says_how_long_it_waited(one_worker: LambdaPool) -> None:
    first = asyncio.create_task(one_worker.invoke(MOODY, {"mode": "sleep"}, timeout=1.0))
    for _ in range(500):  # until it holds the only worker (5 s at most)
        if one_worker.counts()[1]:
            break
        await asyncio.sleep(0.01)
    with pytest.raises(LambdaFailure) as queued:
        # 6 s: the first call's 1 s, killing its worker and starting another fit in it on a
        # loaded machine (with 1.6 s the slot itself was sometimes not free in time; with 3 s it
        # failed 2 runs of 3 beside four other test runs).
        await one_worker.invoke(MOODY, {"mode": "sleep"}, timeout=6.0)
    assert queued.value.kind == "TIMEOUT"
    assert "did not return within" in queued.value.message, queued.value.message
    assert "of the call's 6 s" in queued.value.message
    assert "went waiting for a worker" in queued.value.message
    with pytest.raises(LambdaFailure) as alone:
        await first
    assert "waiting" not in alone.value.message


async def test_a_closed_pool_refuses_work() -> None:
    pool = LambdaPool()
    await calls(pool)
    await pool.aclose()
    with pytest.raises(LambdaFailure):
        await calls(pool)


async def test_a_lone_call_that_times_out_does_not_say_it_waited(
    one_worker: LambdaPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's start (fork and exec) took 10 ms and more on a loaded machine, and a lone call's
    timeout said that time "went waiting for a worker" (CI of 2026-12-06). A slow start stands in
    for the load here."""
    from localexa.server.directives import lambda_pool

    spawn = lambda_pool._Worker.spawn.__func__  # type: ignore[attr-defined]

    async def slow_spawn(cls: type[lambda_pool._Worker], target: str) -> lambda_pool._Worker:
        await asyncio.sleep(0.05)
        worker: lambda_pool._Worker = await spawn(cls, target)
        return worker

    monkeypatch.setattr(lambda_pool._Worker, "spawn", classmethod(slow_spawn))
    with pytest.raises(LambdaFailure) as alone:
        await one_worker.invoke(MOODY, {"mode": "sleep"}, timeout=1.0)
    assert alone.value.kind == "TIMEOUT"
    assert "waiting" not in alone.value.message, alone.value.message
