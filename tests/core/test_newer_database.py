"""A database written by a newer localexa (a revision these scripts do not know) is refused with
a message that says so; alembic's "Can't locate revision identified by …" said nothing of the
cause (packaging QA of 2026-12-06)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from localexa import __version__
from localexa.server.db import migrate
from localexa.server.db.engine import create_engine


async def test_a_database_at_an_unknown_revision_is_refused_as_newer(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'localexa.db'}")
    try:
        await migrate.upgrade_to_head(engine)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
        with pytest.raises(migrate.NewerDatabase) as refused:
            await migrate.upgrade_to_head(engine)
        message = str(refused.value)
        assert "0099_from_the_future" in message
        assert "newer localexa" in message
        assert __version__ in message
        async with engine.connect() as conn:  # nothing was changed
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        assert version == "0099_from_the_future"
    finally:
        await engine.dispose()


async def test_serve_prints_the_newer_database_message_without_the_class_path(tmp_path: Path) -> None:
    """`cannot start: the database is at revision …`: it showed
    `localexa.server.db.migrate.NewerDatabase:` before the message (QA, 2026-12-06)."""
    from localexa.cli.start_failure import OneLineStartupFailure
    from localexa.server.app import create_app
    from localexa.server.settings import Settings

    url = f"sqlite+aiosqlite:///{tmp_path / 'localexa.db'}"
    engine = create_engine(url)
    try:
        await migrate.upgrade_to_head(engine)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    finally:
        await engine.dispose()
    app = OneLineStartupFailure(
        create_app(Settings(data_dir=tmp_path / "data", database_url=url, demo=False))
    )
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    with pytest.raises(migrate.NewerDatabase):  # uvicorn hears the message, then the exception
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)  # type: ignore[arg-type]
    failed = [str(message["message"]) for message in sent if message["type"] == "lifespan.startup.failed"]
    assert failed, sent
    assert failed[0].startswith("cannot start: the database is at revision 0099_from_the_future"), failed
