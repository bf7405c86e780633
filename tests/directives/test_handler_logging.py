"""What a warm Lambda-style handler logs through `logging` is in the log of the call that logged it.

- The root logger has Lambda's handler (its format: `[LEVEL]\\t<UTC time>\\t<request id>\\t<message>`),
  so the logging AWS's docs show for Python Lambdas (`logging.getLogger().setLevel("INFO")`, then
  `logger.info(...)`) is in the log: it printed nothing (no handler; Python's last resort prints
  warnings only).
- A handler the module makes when it is imported binds to the `sys.stderr` of its first call. The
  worker gave each call a stream of its own, so from the second call on its lines went to the
  first call's stream, which nobody read (and which grew for the worker's life)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from localexa.server.directives.invoker import handler_log
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
        result = answer.report["result"]
        assert result["calls"] == call  # one warm worker throughout
        lines = answer.logs.splitlines()
        assert len(lines) == 3, answer.logs
        stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
        assert re.fullmatch(rf"\[INFO\]\t{stamp}\t{result['requestId']}\tturning on, call {call}", lines[0])
        assert lines[1:] == [f"audited call {call}", f"printed in call {call}"]


def test_the_journals_log_tail_keeps_lambdas_tabs() -> None:
    """The journal's `x-localexa-handler-log` showed each TAB of Lambda's format as `\\t`, so the
    tail no longer split into its fields as Lambda's does (readme37a F7); other control characters
    stay escaped (a terminal showing the log)."""
    logs = "[INFO]\t2026-12-07T12:00:00.000Z\tid-1\tturning on\x1b[2J\nplain\n"
    assert handler_log(logs, ()) == "[INFO]\t2026-12-07T12:00:00.000Z\tid-1\tturning on\\x1b[2J\nplain"
