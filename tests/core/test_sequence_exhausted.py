"""An id sequence PostgreSQL can give no more values (SQLSTATE 2200H,
sequence_generator_limit_exceeded): a write that needs one answers 503 in the API's own shape,
without a traceback, and the log names the sequence (once per outage, db/sequences.py).

`thread_networks.id` is an `integer` (a serial: it runs out at 2,147,483,647); the journal's and
the skill messages' ids are `bigint`. The sequence is made to end here by `ALTER SEQUENCE …
MAXVALUE` at its current value, and given its range back after.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.credential_locker.conftest import make_locker, network
from tests.factories import Admin


class Exhausted:
    """Ends a table's id sequence at its current value; `restore` gives it its range back."""

    def __init__(self, app: FastAPI) -> None:
        self.engine = app.state.engine
        self.ended: list[str] = []

    async def end(self, table: str) -> str:
        async with self.engine.begin() as conn:
            sequence = (
                await conn.execute(text(f"SELECT pg_get_serial_sequence('{table}', 'id')"))
            ).scalar_one()
            # At least 2: PostgreSQL wants MAXVALUE above MINVALUE (1).
            last = max(2, (await conn.execute(text(f"SELECT last_value FROM {sequence}"))).scalar_one())
            await conn.execute(text(f"ALTER SEQUENCE {sequence} MAXVALUE {last}"))
            await conn.execute(text(f"SELECT setval('{sequence}', {last}, true)"))
        self.ended.append(sequence)
        return str(sequence)

    async def restore(self) -> None:
        async with self.engine.begin() as conn:
            for sequence in self.ended:
                await conn.execute(text(f"ALTER SEQUENCE {sequence} NO MAXVALUE"))
        self.ended.clear()


@pytest.fixture
async def exhausted(app: FastAPI) -> AsyncIterator[Exhausted]:
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip(
            "PostgreSQL's sequences (SQLite's AUTOINCREMENT at its end is SQLITE_FULL: a 503 already)"
        )
    ended = Exhausted(app)
    try:
        yield ended
    finally:
        await ended.restore()


async def test_a_write_whose_id_sequence_is_exhausted_is_a_503_naming_the_sequence_in_the_log(
    client: httpx.AsyncClient, admin: Admin, exhausted: Exhausted, caplog: pytest.LogCaptureFixture
) -> None:
    locker = await make_locker(client, admin)
    assert (await locker.put(network(0))).status_code == 200
    sequence = (await exhausted.end("thread_networks")).removeprefix("public.")

    with caplog.at_level(logging.INFO):
        answers = [await locker.put(network(n)) for n in (1, 2, 3)]

    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "1"
        body = answer.json()
        assert set(body) == {"code", "message"}, body  # the Credential Locker's own shape
        assert sequence not in body["message"]  # the client is told nothing of the server
    assert "Traceback" not in caplog.text
    named = [r for r in caplog.records if sequence in r.getMessage()]
    assert len(named) == 1, caplog.text  # once per outage, not per call
    assert named[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if "unhandled" in r.getMessage().lower()], caplog.text

    # Given room, the next insert says once that the sequence works again; later ones say nothing.
    caplog.clear()
    await exhausted.restore()
    with caplog.at_level(logging.INFO):
        assert (await locker.put(network(4))).status_code == 200
        assert (await locker.put(network(5))).status_code == 200
    [again] = [r for r in caplog.records if sequence in r.getMessage()]
    assert (
        again.getMessage()
        == f"the id sequence {sequence} works again after 3 failed calls (2 of them not logged)"
    )
    assert again.name == "localexa.db"


async def test_the_journal_drops_what_its_exhausted_sequence_refuses_and_goes_on(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    exhausted: Exhausted,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The journal writer took the refusal for one odd row: it warned and wrote the batch again
    row by row, each row its own failing transaction. It drops the batch now, and writes again
    once the sequence has room."""
    journal = app.state.journal
    await admin.customer()
    await journal.flush()
    sequence = (await exhausted.end("journal_entries")).removeprefix("public.")

    with caplog.at_level(logging.INFO):
        for _ in range(3):
            assert (await client.get("/_localexa/customers", headers=admin.headers)).status_code == 200
        await journal.flush()

    assert "one by one" not in caplog.text
    assert "Traceback" not in caplog.text
    assert len([r for r in caplog.records if sequence in r.getMessage()]) == 1, caplog.text
    assert "SequenceExhausted" in caplog.text  # the journal's own line says what lost the batch

    await exhausted.restore()
    async with app.state.engine.connect() as conn:
        before = (await conn.execute(text("SELECT count(*) FROM journal_entries"))).scalar_one()
    assert (await client.get("/_localexa/customers", headers=admin.headers)).status_code == 200
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await journal.flush()
    async with app.state.engine.connect() as conn:
        after = (await conn.execute(text("SELECT count(*) FROM journal_entries"))).scalar_one()
    assert after == before + 1
    [again] = [r for r in caplog.records if sequence in r.getMessage()]
    assert again.getMessage().startswith(f"the id sequence {sequence} works again after ")
