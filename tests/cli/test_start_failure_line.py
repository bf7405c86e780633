"""`cannot start: …` shows the database's own message, not the tail of SQLAlchemy's trailers
(re-verification of 2026-12-06: a read-only PostgreSQL printed `cannot start: )]`, or
`cannot start: [SQL parameters hidden due to hide_parameters=True]`)."""

from __future__ import annotations

import pytest

from localexa.cli.start_failure import last_line

READ_ONLY = (
    "sqlalchemy.exc.InternalError: (sqlalchemy.dialects.postgresql.asyncpg.InternalError) <class "
    "'asyncpg.exceptions.ReadOnlySQLTransactionError'>: cannot execute CREATE TABLE in a read-only "
    "transaction"
)


@pytest.mark.parametrize(
    "trailers",
    [
        "[SQL: \nCREATE TABLE customers (\n\tid VARCHAR(128) NOT NULL,\n\tPRIMARY KEY (id)\n)\n\n]\n"
        "(Background on this error at: https://sqlalche.me/e/20/2j85)",
        "[SQL: INSERT INTO secret_key_check (id, sealed) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING]\n"
        "[SQL parameters hidden due to hide_parameters=True]\n"
        "(Background on this error at: https://sqlalche.me/e/20/2j85)",
    ],
)
def test_the_databases_message_is_shown_not_the_statements_tail(trailers: str) -> None:
    traceback = (
        f'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n{READ_ONLY}\n{trailers}'
    )
    assert last_line(traceback) == READ_ONLY


def test_a_plain_message_is_its_last_line() -> None:
    assert last_line("Traceback …\nOSError: [Errno 28] No space left on device") == (
        "OSError: [Errno 28] No space left on device"
    )
    assert (
        last_line("localexa.server.lwa.registry.WrongSecretKey: the database holds secrets sealed …")
        == "the database holds secrets sealed …"
    )
