"""PostgreSQL with autovacuum off: the start says so once (the journal's trimmed rows are never
reclaimed there, and its table grew +2.7 MB per 1,000 requests at a constant 10,000 rows: soak38)."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from localexa.server.db.autovacuum import warn_without_autovacuum


async def test_the_start_warns_exactly_when_autovacuum_is_off(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    engine = app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    async with engine.connect() as conn:
        off = (await conn.execute(text("SHOW autovacuum"))).scalar_one() == "off"
    caplog.set_level(logging.WARNING, logger="localexa.db")
    assert await warn_without_autovacuum(engine) is off
    said = [r.getMessage() for r in caplog.records if "autovacuum is off" in r.getMessage()]
    assert len(said) == (1 if off else 0), said
    if off:
        assert str(engine.url.database) in said[0]
        assert "VACUUM" in said[0]


async def test_the_warning_never_names_the_password(app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    engine = app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    # Trust auth takes any password: one in the URL must not reach the log.
    with_password = create_async_engine(engine.url.set(password="s3cret-in-the-url"))
    try:
        caplog.set_level(logging.WARNING, logger="localexa.db")
        await warn_without_autovacuum(with_password)
    finally:
        await with_password.dispose()
    assert all("s3cret-in-the-url" not in r.getMessage() for r in caplog.records)
