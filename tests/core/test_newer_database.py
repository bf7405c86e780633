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
