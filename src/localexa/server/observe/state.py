"""The whole state at once: reset it, snapshot it to a JSON document, restore it from one.

- Reset empties every table of `db.models.metadata` (children before parents), so the clock
  offset (its row) goes back to 0; it also drops queued journal entries and every cache. The
  admin key and the server secret live in settings and the data directory, so they stay.
- A snapshot holds every table's rows except the journal (it records traffic, not state, and
  would make the document too large to restore). Sealed columns stay sealed and hashes stay
  keyed, so a snapshot restores only into a server with the same secret key: the document
  carries a fingerprint of the key and restore refuses another.
- Restore replaces every table but the journal in one transaction: it either all lands or
  nothing changes. It refuses (400) a document of another schema revision and any value that
  does not have its column's type, before anything is written (observe/snapshot_rows.py).
- Reset and restore run while other calls write: on PostgreSQL their transaction first locks
  every state table (`_rewrite_state`), so each call is wholly before or wholly after them.
- A run under way in a restored snapshot is due again at once (`_leases_ended`); an after-link
  follow-up under way in it loses its lease (`_follow_ups_unleased`).
- Reset and restore stop the after-link follow-ups of the state they replace: in this process
  through its reset hooks (`on_reset`), in the others sharing a PostgreSQL database through the
  state's generation, which the rewrite moves (observe/generation.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

from fastapi import FastAPI
from sqlalchemy import (
    Table,
    delete,
    text,
)
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest, ServiceUnavailable
from localexa.server.db.deadlocks import DeadlockVictim
from localexa.server.db.engine import checkpoint, read_only_connection, release_free_pages
from localexa.server.db.migrate import known_revisions
from localexa.server.db.models import metadata
from localexa.server.evaluation.worker import worker_of
from localexa.server.lwa.key_check import record_secret_key, recorded_another_key, stored_check
from localexa.server.lwa.key_confirmation import (
    CANNOT_RESET_UNDER_ANOTHER_KEY,
    CANNOT_RESTORE_UNDER_ANOTHER_KEY,
    SealedUnderAnotherKey,
)
from localexa.server.observe.generation import next_generation
from localexa.server.observe.restore_rows import advance_sequences, insert_rows
from localexa.server.observe.snapshot_rows import validated_rows
from localexa.server.observe.snapshot_seals import check_sealed_values
from localexa.server.observe.snapshot_stream import open_snapshot

logger = logging.getLogger("localexa.lwa")  # the secret key's messages' logger (lwa/key_check.py)

#: Tables reset leaves alone: a reset must not bring a signed-out console cookie back to life, it
#: moves the journal's cutoff rather than deleting it (observe/journal.py), and the secret key's
#: check belongs to the database, not its state (lwa/key_check.py).
KEPT_BY_RESET = frozenset({"console_sign_outs", "journal_cutoff", "secret_key_check"})
#: Tables a snapshot leaves out and restore leaves alone.
NOT_STATE = frozenset({"journal_entries"}) | KEPT_BY_RESET

#: Run after reset and restore, for caches other areas keep (register with `on_reset`).
ResetHook = Callable[[FastAPI], Awaitable[None]]


def on_reset(app: FastAPI, hook: ResetHook) -> None:
    app.state.reset_hooks.append(hook)


async def _after_change(app: FastAPI) -> None:
    await app.state.clock.refresh(app.state.engine, force=True)
    app.state.faults.invalidate()
    app.state.journal.forget_lookups()
    worker = worker_of(app)
    if worker is not None:
        worker.state_replaced()  # its runs stop; a restored run under way is due at once
    for hook in app.state.reset_hooks:
        await hook(app)


#: PostgreSQL's answers to a lock wait that must be given up: `lock_not_available` (our
#: `lock_timeout`) and `deadlock_detected`. Either rolls the rewrite back whole; it is tried again.
_LOCK_GIVEN_UP = frozenset({"55P03", "40P01"})
#: A rewrite waits this long for the tables at first, then lets the waiting calls through and
#: tries again, waiting twice as long each time (up to `_LOCK_TIMEOUT_MAX_MS`): a call that read
#: one table and then wants another the rewrite holds would otherwise deadlock with it, and a
#: deadlock through HTTP (a call waiting for a skill that calls localexa back) no database sees.
_LOCK_TIMEOUT_MS = 200
_LOCK_TIMEOUT_MAX_MS = 5000
#: How long a rewrite may wait for the tables in all before it answers 503.
_LOCK_PATIENCE_MS = 60_000

Rewrite = Callable[[AsyncConnection], Awaitable[None]]


async def _end_deadlocks_first(conn: AsyncConnection) -> None:
    """Have this transaction be the one PostgreSQL ends in a deadlock with a call: the server
    checks for deadlocks in the transaction that has waited `deadlock_timeout`, and ends that
    one, so a short one here makes the rewrite give way (it is tried again) rather than the
    call. Setting it needs a superuser (or the parameter granted): without, the lock timeout
    below `deadlock_timeout` does most of the same."""
    try:
        async with conn.begin_nested():
            await conn.execute(text("SET LOCAL deadlock_timeout = 50"))
    except DBAPIError:
        pass  # permission denied: the savepoint is rolled back, the transaction goes on


async def _longest_lock_wait_ms(engine: AsyncEngine) -> float:
    """How long one try may wait for the tables: `_LOCK_TIMEOUT_MAX_MS`, or less than the
    server's `deadlock_timeout`. A call holding one state table and waiting for another the
    rewrite holds is a deadlock PostgreSQL settles after `deadlock_timeout` (1 s by default) by
    ending one of the two, and it often ended the call: a 500 "deadlock detected" on ordinary
    calls during a reset under load (QA of 2026-12-05). Giving up first lets the call through."""
    async with engine.connect() as conn:
        shown = str((await conn.execute(text("SHOW deadlock_timeout"))).scalar() or "")
    return max(50.0, min(_LOCK_TIMEOUT_MAX_MS, 0.8 * _milliseconds(shown, default=1000.0)))


def _milliseconds(setting: str, *, default: float) -> float:
    """A PostgreSQL time setting (`1s`, `500ms`, `2min`, `1000`) in milliseconds."""
    found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|min|h)?\s*", setting)
    if found is None:
        return default
    factor = {"ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0}[found.group(2) or "ms"]
    return float(found.group(1)) * factor


def _lock_given_up(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in _LOCK_GIVEN_UP


async def _rewrite_state(engine: AsyncEngine, rewrite: Rewrite) -> None:
    """Run `rewrite` (reset's deletes, restore's deletes and inserts) in one transaction that no
    other transaction on the state's tables overlaps, so every call is wholly before or after it.

    On PostgreSQL, rows committed by other calls while the deletes ran made the rewrite fail:
    a skill committed between `DELETE FROM skills` and `DELETE FROM lwa_clients` broke the
    foreign key of its messaging client (a reset answered 404, a valid restore 400); a token
    committed between the deletes of its table and its customer's survived the reset. So the
    rewrite first takes every state table in ACCESS EXCLUSIVE mode: it waits for the
    transactions under way and holds new ones until it commits. On SQLite every write
    transaction holds the file's write lock (db/engine.py), which serializes them already.

    On PostgreSQL the rewrite also moves the state's generation (observe/generation.py), so the
    follow-ups other processes run for the state it replaces stop and leave nothing behind."""
    tables = _state_tables()
    if engine.dialect.name != "postgresql":
        async with engine.begin() as conn:
            await rewrite(conn)
        return
    names = ", ".join(engine.dialect.identifier_preparer.format_table(t) for t in tables)
    longest_ms = await _longest_lock_wait_ms(engine)
    timeout_ms = min(float(_LOCK_TIMEOUT_MS), longest_ms)
    # Real time, not the sum of the timeouts: a try that gave way in a deadlock after 50 ms
    # counted its whole timeout, and the 60 s were spent in 9-15 s (re-verification, 2026-12-05).
    deadline = time.monotonic() + _LOCK_PATIENCE_MS / 1000
    while time.monotonic() < deadline:
        try:
            async with engine.begin() as conn:
                await _end_deadlocks_first(conn)
                await conn.execute(text(f"SET LOCAL lock_timeout = {int(timeout_ms)}"))
                await conn.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
                await conn.execute(text("SET LOCAL lock_timeout = 0"))
                await next_generation(conn)
                await rewrite(conn)
            return
        except DeadlockVictim:
            pass  # the rewrite ended the deadlock by giving way (as it means to): try again
        except DBAPIError as exc:
            if not _lock_given_up(exc):
                raise
        timeout_ms = min(timeout_ms * 2, longest_ms)
        await asyncio.sleep(0.01)  # the calls queued behind the locks go first
    raise ServiceUnavailable("Other calls kept the state's tables busy; nothing was changed. Retry.")


async def _delete_state(conn: AsyncConnection) -> None:
    for table in reversed(_state_tables()):
        await conn.execute(delete(table))


async def _refuse_under_another_key(app: FastAPI, refusal: str) -> None:
    """409 (`SealedUnderAnotherKey`) before anything is touched when the database recorded another
    secret key than this process's (it started while the database could not tell its key). The
    recorded key never changes once written (insert-once, kept by reset and restore), so this
    read is final for a refusal; a key recorded after it is caught in the rewrite's transaction."""
    async with read_only_connection(app.state.engine) as conn:
        if await recorded_another_key(conn, app.state.box):
            raise SealedUnderAnotherKey(refusal)


async def reset(app: FastAPI) -> None:
    """Empty the state. Refused (409) by a process under another key than the one the database
    recorded (since the night of 2026-12-06): it emptied a database the processes under its key
    serve, and could still write nothing to it. Where the database recorded no key (an upgraded
    one nothing could confirm, lwa/key_check.py), the reset records this process's key, as the
    way to confirm it: from then on a process under another key is refused (its writes answer
    409, its start stops), which the log says."""
    await _refuse_under_another_key(app, CANNOT_RESET_UNDER_ANOTHER_KEY)
    engine = app.state.engine
    box: SecretBox = app.state.box
    #: The journal's cutoff: calls answered before it, through any process, leave the journal.
    cutoff: list[float] = []
    #: Whether this reset recorded the key (the database had none).
    recorded: list[bool] = []
    #: SQLite pages the reset gave back (db/engine.py `release_free_pages`).
    released: list[int] = []

    async def delete_and_cut(conn: AsyncConnection) -> None:
        # Taken once the tables are held (the locks on PostgreSQL, the write lock on SQLite), not
        # when the reset began: calls answered while it waited for them (a reset on PostgreSQL lets
        # the calls queued behind its locks through between tries) wrote rows it then deleted, and
        # their entries stayed in the journal. Calls answered after this wait for the reset.
        cutoff[:] = [time.time()]
        await _delete_state(conn)
        # SQLite: the emptied pages go back to the filesystem (a file made since 2026-12-07).
        released[:] = [await release_free_pages(conn)]
        # An upgraded database whose key nothing could confirm (lwa/key_check.py) is empty now:
        # the key that reset it is its key from here on, not the next start's, whichever it is.
        recorded[:] = [await stored_check(conn) is None]
        await record_secret_key(conn, box)
        if await recorded_another_key(conn, box):  # another process's, since the check above
            raise SealedUnderAnotherKey(CANNOT_RESET_UNDER_ANOTHER_KEY)  # the deletes roll back

    async with app.state.journal.paused():
        app.state.journal.discard_queued()
        await _rewrite_state(engine, delete_and_cut)
        await app.state.journal.delete_all(not_before=cutoff[0])
    if released and released[0]:
        await checkpoint(engine)  # the file shrinks now, not at some later checkpoint
    box.key_confirmed = True  # the database's key is this one now
    if recorded[0]:
        logger.warning(
            "the reset recorded this server's secret key for the database, which had recorded "
            "none: a process under another key is refused from now on (its writes answer 409, its "
            "start stops)"
        )
    await _after_change(app)


def key_fingerprint(box: SecretBox) -> str:
    """Tells whether two servers share a secret key, without revealing it."""
    return box.hash_token("localexa:snapshot-key")[:16]


def _state_tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in NOT_STATE]


async def _revision(conn: AsyncConnection) -> str | None:
    try:
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except SQLAlchemyError:
        return None


async def snapshot_stream(app: FastAPI) -> AsyncIterator[bytes]:
    """Every state table's rows, stamped with this process's key: the document's bytes, written
    as they are read in one consistent read (observe/snapshot_stream.py). Refused (409, nothing
    read) by a process under another key than the one the database recorded (since the night of
    2026-12-06): its document carried its own key's fingerprint over rows sealed and hashed under
    the database's, so it restored into no server, a backup found useless only when needed."""
    return await open_snapshot(app, _state_tables(), key_fingerprint(app.state.box), _revision)


async def snapshot(app: FastAPI) -> dict[str, Any]:
    """The snapshot as a document in memory (for tests and small states: a big state's belongs
    in `snapshot_stream`)."""
    return cast(dict[str, Any], json.loads(b"".join([chunk async for chunk in await snapshot_stream(app)])))


async def restore(app: FastAPI, document: Any) -> dict[str, int]:
    # The snapshot's secrets are sealed under this process's key: into a database that recorded
    # another, they would be secrets its own processes cannot open (since the night of 2026-12-06).
    # Before the document's checks: whatever it holds, this server's key is what stands in the way
    # (they answered 400 blaming the document, "taken by a server with another secret key" or "does
    # not open under this server's key … (edited, or copied from another row)").
    await _refuse_under_another_key(app, CANNOT_RESTORE_UNDER_ANOTHER_KEY)
    rows_by_table = validated_rows(document, key_fingerprint(app.state.box), _state_tables())
    check_sealed_values(rows_by_table, app.state.box)
    tables = _state_tables()
    engine = app.state.engine

    async def replace(conn: AsyncConnection) -> None:
        # A snapshot of this revision or an older one this version's migrations know restores (its
        # tables and columns were checked against today's; a column added since takes its default,
        # so snapshots kept as test fixtures survive an upgrade). One of a revision this version
        # does not know (a newer localexa's) could hold rows it would misread: refused.
        revision = await _revision(conn)
        taken = document.get("schemaRevision")
        if taken != revision and taken not in known_revisions():
            raise BadRequest(
                f"The snapshot was taken at schema revision {str(taken)[:64]}, which this localexa "
                f"does not know (its database is at {revision}). Restore it into a server of the "
                "localexa version that took it, or a newer one."
            )
        if await recorded_another_key(conn, app.state.box):  # recorded since the check above
            raise SealedUnderAnotherKey(CANNOT_RESTORE_UNDER_ANOTHER_KEY)
        await _delete_state(conn)
        for table in tables:
            await insert_rows(conn, table, rows_by_table.get(table.name, []))
        if engine.dialect.name == "postgresql":
            await advance_sequences(conn, tables)

    try:
        await _rewrite_state(engine, replace)
    except SQLAlchemyError as exc:
        # Only the kind of failure: the values themselves may be hashes or sealed secrets.
        reason = type(getattr(exc, "orig", None) or exc).__name__
        raise BadRequest(f"The snapshot does not fit this server's tables ({reason}).") from exc
    await _after_change(app)
    return {table.name: len(rows_by_table.get(table.name, [])) for table in tables}
