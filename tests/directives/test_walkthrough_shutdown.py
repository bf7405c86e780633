"""README walk-through, "Lambda-style skill endpoints": a call in flight when the server shuts down.

The pool ends its busy workers at shutdown. The call whose worker it ended must fail as a crashed
worker (`PROCESS_CRASHED`), never as a cancellation: a CancelledError escaping into the caller made
a capability evaluation take it for a lost lease and keep its run (README "Runs are jobs").
"""

from __future__ import annotations

import asyncio

import pytest

from localexa.server.directives.lambda_pool import LambdaFailure, LambdaPool

MOODY = "tests.directives.handlers:moody"


async def _forever() -> None:
    await asyncio.Event().wait()


async def test_a_call_in_flight_when_the_pool_closes_fails_as_a_crash_not_a_cancellation() -> None:
    pool = LambdaPool()
    call = asyncio.create_task(pool.invoke(MOODY, {"mode": "sleep"}, timeout=30))
    for _ in range(1000):  # until the worker is busy with the call
        if pool.counts()[1]:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # the request is written; the worker sleeps in the handler
    # Whether the stderr drain reaches EOF before `kill` cancels it is a race the server lost
    # (a step of a run, at SIGTERM): make the drain still busy when the pool closes.
    (worker,) = pool._busy
    worker._drain = asyncio.create_task(_forever())
    await pool.aclose()
    with pytest.raises(LambdaFailure) as failure:
        await call
    assert failure.value.kind == "PROCESS_CRASHED"
    assert not call.cancelled()
