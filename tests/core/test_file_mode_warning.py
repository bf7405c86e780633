"""A start warns when the data dir or the SQLite files are readable by other users (QA, 2026-12-06).

A data dir an older localexa created (0755, its database 0644) stayed readable by every user after
an upgrade, password hashes and sealed secrets with it, and nothing said so. The start now says
so in one line, and changes no mode."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from localexa.server.app import create_app
from localexa.server.settings import Settings

SAID = "readable by other users of this machine"


def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'localexa.db'}",
        demo=False,
        admin_key="k",
        password_hash_n=1024,
    )


async def start(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if SAID in r.getMessage()]


async def test_an_old_data_dir_open_to_others_is_said_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = sqlite_settings(tmp_path)
    await start(settings)  # a new data dir: owner-only, nothing said
    caplog.set_level(logging.WARNING, logger="localexa")
    assert warnings(caplog) == []
    database = tmp_path / "data" / "localexa.db"
    # As an older localexa left them.
    (tmp_path / "data").chmod(0o755)
    database.chmod(0o644)
    caplog.clear()
    await start(settings)
    [said] = warnings(caplog)
    assert f"{tmp_path / 'data'} (0755)" in said
    assert f"{database} (0644)" in said
    assert "chmod go-rwx" in said
    # Said, not changed.
    assert stat.S_IMODE(database.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o755
