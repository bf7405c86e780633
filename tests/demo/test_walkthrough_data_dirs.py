"""A second data dir on a database another `--demo` start seeded: the start says which key differs.

Without LOCALEXA_SECRET_KEY, each data dir makes its own `secret-key`, so serving one database from
a second data dir cannot open the demo's sealed ids. The message named only LOCALEXA_SECRET_KEY,
which such a user had never set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from localexa.server.admin.demo import ensure_demo
from localexa.server.app import create_app
from localexa.server.settings import Settings
from tests.factories import Admin


async def test_another_data_dirs_key_names_the_data_dir(app: FastAPI, tmp_path: Path) -> None:
    await ensure_demo(app)
    settings: Settings = app.state.settings
    other = settings.model_copy(update={"data_dir": tmp_path / "other-data-dir", "secret_key": None})
    second = create_app(other)
    # Refused at start (the demo's skill has a sealed messaging secret), before any demo code runs.
    with pytest.raises(RuntimeError) as refused:
        async with second.router.lifespan_context(second):
            await ensure_demo(second)
    assert "<data dir>/secret-key" in str(refused.value)
    assert "--data-dir" in str(refused.value)


async def test_another_key_is_refused_at_start_without_the_demo(
    app: FastAPI, admin: Admin, tmp_path: Path
) -> None:
    """A second process with its own data dir (so its own secret key) on a database with a skill
    started and said ready, then refused every token and answered Skill Credentials 500."""
    await admin.skill()  # a skill: its messaging client's secret is sealed
    settings: Settings = app.state.settings
    other = settings.model_copy(update={"data_dir": tmp_path / "elsewhere", "secret_key": None})
    second = create_app(other)
    with pytest.raises(RuntimeError, match="sealed under another secret key"):
        async with second.router.lifespan_context(second):
            pass
    same_key = SecretStr(settings.resolved_secret_key().decode())
    third = create_app(settings.model_copy(update={"data_dir": tmp_path / "too", "secret_key": same_key}))
    async with third.router.lifespan_context(third):  # another data dir, the same key: served
        assert third.state.box is not None
