"""A second data dir on a database another `--demo` start seeded: the start says which key differs.

Without LOCALEXA_SECRET_KEY, each data dir makes its own `secret-key`, so serving one database from
a second data dir cannot open the demo's sealed ids. The message named only LOCALEXA_SECRET_KEY,
which such a user had never set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from localexa.server.admin.demo import ensure_demo
from localexa.server.app import create_app
from localexa.server.settings import Settings


async def test_another_data_dirs_key_names_the_data_dir(app: FastAPI, tmp_path: Path) -> None:
    await ensure_demo(app)
    settings: Settings = app.state.settings
    other = settings.model_copy(update={"data_dir": tmp_path / "other-data-dir", "secret_key": None})
    second = create_app(other)
    async with second.router.lifespan_context(second):
        with pytest.raises(RuntimeError) as refused:
            await ensure_demo(second)
    assert "<data dir>/secret-key" in str(refused.value)
    assert "--data-dir" in str(refused.value)
