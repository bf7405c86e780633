"""A worker whose polls fail (the database down) logs the first failure with its traceback, then
at most one line per 30 s, and says once when polling works again (QA of 2026-12-05: a traceback
a second per process)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from localexa.server.db.outage import DatabaseUnreachable
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


class OutageWorker(FlakyWorker):
    async def _claim_while_free(self, running: set[asyncio.Task[None]]) -> None:
        self.polls += 1
        if self.polls >= self.target:
            self.reached.set()
        raise DatabaseUnreachable(
            "postgresql+asyncpg://127.0.0.1:5544/qa3", "ConnectionRefusedError: refused"
        )


async def test_a_database_outage_is_one_line_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """The outage is the database's, said once by db/outage.py: the worker's line names it and
    adds no traceback (QA of 2026-12-06: the only traceback left of a PostgreSQL outage)."""
    caplog.set_level(logging.INFO, logger="localexa.evaluation")
    worker = OutageWorker(runtime=lambda: None, owner="w2", config=WorkerConfig(poll_interval=0.001))  # type: ignore[arg-type, return-value]
    worker.start()
    try:
        await _poll_until(worker, 5)
        failures = [r for r in caplog.records if "a poll failed" in r.getMessage()]
        assert len(failures) == 1
        assert not failures[0].exc_info
        assert "127.0.0.1:5544/qa3 cannot be reached" in failures[0].getMessage()
    finally:
        await worker.stop()
