"""What `create_app`'s start says about a set-up that several processes cannot share safely."""

from __future__ import annotations

import logging

import pytest

from localexa.server.app import create_app
from localexa.server.settings import Settings

ONLY_PROCESS = "serve this database from this one process only"


async def test_a_database_served_without_redis_warns_only_on_postgresql(
    settings: Settings, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A process without LOCALEXA_REDIS_URL on a PostgreSQL that others serve with Redis revoked
    tokens they went on accepting (their caches never heard of it), and said nothing. A SQLite
    file is one process's, so it says nothing there."""
    caplog.set_level(logging.WARNING, logger="localexa")
    app = create_app(settings.model_copy(update={"redis_url": None}))
    async with app.router.lifespan_context(app):
        pass
    warned = [r.getMessage() for r in caplog.records if ONLY_PROCESS in r.getMessage()]
    assert len(warned) == (1 if backend == "postgresql" else 0), caplog.text
