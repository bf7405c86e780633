"""What a warm Lambda-style handler logs through `logging` is in the log of the call that logged it.

A module that configures logging when it is imported (`logging.basicConfig`) binds its handler to
the `sys.stderr` of its first call. The worker gave each call a stream of its own, so from the
second call on every log line went to the first call's stream, which nobody read (and which grew
for the worker's life): the journal's `x-localexa-handler-log` showed only the `print`s."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from localexa.server.directives.lambda_pool import LambdaPool

HANDLER = "tests.directives.logging_handler:handler"


@pytest.fixture
async def pool() -> AsyncIterator[LambdaPool]:
    lambdas = LambdaPool()
    yield lambdas
    await lambdas.aclose()


async def test_each_warm_call_logs_its_own_lines(pool: LambdaPool) -> None:
    for call in (1, 2, 3):
        answer = await pool.invoke(HANDLER, {"directive": {}}, timeout=10)
        assert answer.report["result"] == {"calls": call}  # one warm worker throughout
        assert answer.logs == f"INFO lights turning on, call {call}\nprinted in call {call}\n"
