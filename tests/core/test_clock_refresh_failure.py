"""A failed re-read of the shared clock before a request never fails the request (core/clock.py
`ClockRefreshMiddleware`): the call takes its normal path, on a connection that stays open.

QA of 2026-12-06 (PostgreSQL stopped under load): the middleware sits outside the one that turns
exceptions into answers, so its failed refresh reached Starlette's outermost handler: uvicorn
logged "Exception in ASGI application", the call was counted under route="unmatched", and the
keep-alive connection was closed, so the client's next request on it got no answer at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from localexa.server.core.clock import Clock
from localexa.server.db.engine import create_engine
from tests.servers import serve_in_loop

#: Nothing listens on port 1: every connect is refused at once.
DOWN = "postgresql+asyncpg://postgres@127.0.0.1:1/none"


def _warned(caplog: pytest.LogCaptureFixture, prefix: str) -> list[logging.LogRecord]:
    """Warnings and worse of loggers under `prefix` (another test may have left a logger of it
    at info: the access log's lines are not what is counted)."""
    return [r for r in caplog.records if r.name.startswith(prefix) and r.levelno >= logging.WARNING]


@pytest.fixture
async def refresh_fails(app: FastAPI) -> AsyncIterator[None]:
    """The clock re-read on every request (no 0.5 s cache), from a database that is not there.
    Only the clock's view of the engine changes: the request's own statements still work."""
    state = app.state
    engine, clock = state.engine, state.clock
    state.engine = create_engine(DOWN)
    state.clock = Clock(offset_seconds=clock.offset_seconds, refresh_interval=0.0)
    try:
        yield
    finally:
        down = state.engine
        state.engine, state.clock = engine, clock
        await down.dispose()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


@pytest.mark.usefixtures("refresh_fails")
async def test_a_failed_clock_refresh_leaves_the_call_its_answer_and_the_connection_open(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    request = b"GET /_localexa/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with caplog.at_level(logging.WARNING):
        async with serve_in_loop(app) as url:
            port = int(url.rsplit(":", 1)[1])
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                answers = []
                for _ in range(3):  # one connection: each request after the first needs it open
                    writer.write(request)
                    await writer.drain()
                    answers.append(await _answer(reader))
                writer.write(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                metrics = (await _answer(reader))[2].decode()
            finally:
                writer.close()
    for status, headers, body in answers:
        assert (status, body) == (200, b'{"status":"ok"}'), (status, headers, body)
        assert headers.get("connection") != "close"
    assert 'route="unmatched",status="500"' not in metrics
    assert not _warned(caplog, "uvicorn"), caplog.text
    refused = _warned(caplog, "localexa.clock")
    assert len(refused) == 1, caplog.text  # throttled: once, not once per request
    assert "was not re-read" in refused[0].getMessage()
    assert "DatabaseUnreachable" in refused[0].getMessage()
