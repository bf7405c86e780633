"""Refusing to start under another secret key than the one a database was written with.

A second process with its own data dir (hence its own `secret-key`), or a restart under another
`LOCALEXA_SECRET_KEY`, started and reported ready, then refused every token the other processes
issued and answered Skill Credentials with a 500. Before 2026-12-06 a start could tell only from
a sealed client secret, so on a database holding none (right after a reset) such a process
started, and a skill it created sealed its secret under the wrong key, after which the right
processes refused to start. Now the database keeps a fixed text sealed under its key
(`secret_key_check`, row 1): the first start writes it, every later start must open it. A
database written before that row existed is checked by a sealed client secret once, as before.
One that holds keyed rows but nothing sealed cannot tell: the start goes on unconfirmed, and the
process writes nothing under its key until a secret the database holds confirms it
(lwa/key_confirmation.py).

Run in the start's migration transaction (db/migrate.py), so a refusal leaves an older database
unmigrated. Two first starts racing with different keys: the row is inserted "if missing" and read
back, so the second finds the first's row and refuses.
"""

from __future__ import annotations

import logging

from sqlalchemy import Executable, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from localexa.server.core.crypto import SecretBox
from localexa.server.db.base import SecretKeyCheck
from localexa.server.lwa.models import AuthorizationCode, LwaClient, Token

logger = logging.getLogger("localexa.lwa")
#: Why a database written under another secret key cannot be served (start-up, or a sealed value).
WRONG_KEY = (
    "the database holds secrets sealed under another secret key: serve it with the key it was "
    "written with (LOCALEXA_SECRET_KEY, else <data dir>/secret-key: the same --data-dir, or the "
    "same LOCALEXA_SECRET_KEY for every process on one database), or start on a new database"
)
UNCONFIRMED = (
    "this database was written before localexa recorded the secret key that serves it, and holds "
    "nothing sealed that tells this key from another: this key is not confirmed yet, so this "
    "process writes nothing under it (no demo seed, no skill, LWA client, sign-in code or admin "
    "token: those answer 409) until a token or client secret the database holds is used with it "
    "once (a refresh at /auth/o2/token, any call with an access token), which confirms and "
    "records the key; a reset (POST /_localexa/reset, which empties the database) records it too. "
    "Under another key than the one the database was written with, nothing it holds is accepted "
    "and nothing confirms the key: serve the database with that key"
)


class WrongSecretKey(RuntimeError):
    """The database holds secrets sealed under another key: the start stops (`cannot start:`
    prints this message alone, as the README quotes it, not "RuntimeError: …")."""


#: The sealed text, and the associated data it is sealed under (no other sealed value uses it).
MARKER = "localexa secret key check"
CONTEXT = "localexa:secret-key-check"


async def check_secret_key(conn: AsyncConnection, box: SecretBox) -> bool:
    """Refuse (`WrongSecretKey`) unless `box`'s key is the one this database was written with;
    False (said in a warning): nothing tells yet, the key is not confirmed (module docstring)."""
    confirmed = await key_confirmed(conn, box)
    if not confirmed:
        logger.warning(UNCONFIRMED)
    return confirmed


async def key_confirmed(conn: AsyncConnection, box: SecretBox) -> bool:
    """Whether the database tells that `box`'s key serves it (its row opens; recorded here when a
    sealed client secret opens or nothing keyed is held); `WrongSecretKey` when it tells another
    key. Also run, on the refusal path only, by a process that started unconfirmed: another
    process may have confirmed the key since, or a reset recorded it (lwa/key_confirmation.py)."""
    sealed = await stored_check(conn)
    if sealed is None:
        if not await _check_a_sealed_client_secret(conn, box) and await _holds_keyed_rows(conn):
            # Written before the check existed, and nothing sealed to tell this key from another:
            # recording it could lock the database's own key out for good (re-verification of
            # 2026-12-06: one start under a wrong key after the upgrade, then the right one was
            # refused). Recorded once a secret the database holds, a sealed one or a reset tells.
            return False
        await record_secret_key(conn, box)
        sealed = await stored_check(conn)  # another start's row, if it won the race
    if sealed is None or not opens(box, sealed):
        raise WrongSecretKey(WRONG_KEY)
    return True


async def record_secret_key(conn: AsyncConnection, box: SecretBox) -> None:
    """Record `box`'s key where none is (a reset's emptied database); a recorded one stays."""
    await conn.execute(_insert_once(conn.dialect.name, box.seal(MARKER, context=CONTEXT)))


async def recorded_another_key(conn: AsyncConnection, box: SecretBox) -> bool:
    """Whether the database recorded a key, and it is not `box`'s: a process that started while
    the database could not tell its key, once another process confirmed the database's key or a
    reset under it recorded it. Such a process may not reset or restore it (observe/state.py)."""
    sealed = await stored_check(conn)
    return sealed is not None and not opens(box, sealed)


async def stored_check(conn: AsyncConnection) -> str | None:
    return (await conn.execute(select(SecretKeyCheck.sealed).where(SecretKeyCheck.id == 1))).scalar()


def opens(box: SecretBox, sealed: str) -> bool:
    try:
        return box.open(sealed, context=CONTEXT) == MARKER
    except ValueError:
        return False


async def _holds_keyed_rows(conn: AsyncConnection) -> bool:
    """Rows whose hashes only this database's key matches: LWA clients' secrets, tokens, codes."""
    for table in (LwaClient, Token, AuthorizationCode):
        if (await conn.execute(select(literal(1)).select_from(table).limit(1))).first() is not None:
            return True
    return False


async def _check_a_sealed_client_secret(conn: AsyncConnection, box: SecretBox) -> bool:
    """A database from before the check's row: every skill's messaging client keeps its secret
    sealed, so one of them tells the key, when there is one (True: it opened)."""
    row = (
        await conn.execute(
            select(LwaClient.client_id, LwaClient.secret_sealed)
            .where(LwaClient.secret_sealed.is_not(None))
            .limit(1)
        )
    ).first()
    if row is None or row.secret_sealed is None:
        return False
    try:
        box.open(row.secret_sealed, context=row.client_id)
    except ValueError:
        raise WrongSecretKey(WRONG_KEY) from None
    return True


def _insert_once(dialect: str, sealed: str) -> Executable:
    """INSERT of the check's row that does nothing when it exists; each database's own dialect
    module, imported on use (a PostgreSQL process never loads SQLite's)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return (
            pg_insert(SecretKeyCheck)
            .values(id=1, sealed=sealed)
            .on_conflict_do_nothing(index_elements=["id"])
        )
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return (
        sqlite_insert(SecretKeyCheck)
        .values(id=1, sealed=sealed)
        .on_conflict_do_nothing(index_elements=["id"])
    )
