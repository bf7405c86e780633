"""A worker whose polls fail (the database down) logs the first failure with its traceback, then
at most one line per 30 s, and says once when polling works again (QA of 2026-12-05: a traceback
a second per process)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from localexa.server.evaluation.jobs import WorkerConfig
from localexa.server.evaluation.worker import EvaluationWorker


class FlakyWorker(EvaluationWorker):
    failing = True
    polls = 0
    target = 0
    reached: asyncio.Event

    async def _claim_while_free(self, running: set[asyncio.Task[None]]) -> None:
        self.polls += 1
        if self.polls >= self.target:
            self.reached.set()
        if self.failing:
            raise ConnectionError("the database is down")


async def _poll_until(worker: FlakyWorker, polls: int) -> None:
    worker.target, worker.reached = polls, asyncio.Event()
    async with asyncio.timeout(10):
        await worker.reached.wait()


async def test_failed_polls_are_logged_once_then_their_end(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="localexa.evaluation")
    worker = FlakyWorker(runtime=lambda: None, owner="w1", config=WorkerConfig(poll_interval=0.001))  # type: ignore[arg-type, return-value]
    worker.start()
    try:
        await _poll_until(worker, 20)
        failures = [r for r in caplog.records if "a poll failed" in r.getMessage()]
        assert len(failures) == 1, [r.getMessage() for r in caplog.records]
        assert failures[0].exc_info is not None  # the first one with its traceback
        assert failures[0].levelno == logging.WARNING
        worker.failing = False
        await _poll_until(worker, worker.polls + 3)
        back = [r for r in caplog.records if "works again" in r.getMessage()]
        assert len(back) == 1
        assert "evaluation worker w1" in back[0].getMessage()
    finally:
        await worker.stop()
