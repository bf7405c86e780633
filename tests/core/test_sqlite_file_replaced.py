"""The SQLite file deleted or replaced while the server runs (an operator's `rm`, a deploy that
copies a new file over the path): every call answers 503 saying so, the log says it once naming
the file, and the file put back serves again.

ops37 F2 (2026-12-07): connections opened before the `rm` went on writing into the deleted file
(lost at the next start), new ones found a new empty file at the path and answered 500 "no such
table" with a traceback, and nothing said what had happened.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import ADMIN_KEY
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}
NEW = {"name": "Bo", "email": "bo@example.com", "password": "correct horse"}
REPLACED = (
    "The database file was deleted or replaced while the server was running, so this request "
    "could not be served and nothing of it was stored. Restart localexa."
)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # PostgreSQL's files are its server's


def _state_file(app: FastAPI) -> Path:
    database = app.state.engine.url.database
    assert database
    return Path(database)


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("localexa.db")
        and r.levelno >= logging.WARNING
        and "deleted or replaced" in r.getMessage()
    ]


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_every_call_is_a_503_until_the_file_is_back(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    before = await admin.customer()
    state = _state_file(app)
    aside = state.with_name("moved-away.db")
    os.rename(state, aside)
    if how == "replaced":
        state.write_bytes(aside.read_bytes())  # the same bytes, another file

    for _ in range(3):
        wrote = await client.post("/_localexa/customers", json=NEW, headers=KEY)
        assert wrote.status_code == 503, wrote.text
        assert wrote.json() == {"message": REPLACED}
        read = await client.get(f"/_localexa/customers/{before.user_id}", headers=KEY)
        assert read.status_code == 503, read.text
    lines = _logged(caplog)
    assert len(lines) == 1, lines
    assert str(state) in lines[0]

    os.replace(aside, state)  # the file put back
    again = await client.get(f"/_localexa/customers/{before.user_id}", headers=KEY)
    assert again.status_code == 200, again.text
    made = await client.post("/_localexa/customers", json=NEW, headers=KEY)
    assert made.status_code == 201, made.text
