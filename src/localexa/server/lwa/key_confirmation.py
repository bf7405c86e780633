"""A process on a database that cannot tell its secret key writes nothing under the key until a
secret the database holds confirms it (since 2026-12-06).

A database written before localexa recorded its key (lwa/key_check.py) that holds LWA clients,
tokens or codes but nothing sealed starts unconfirmed: nothing tells this process's key from
another. Such a process under a wrong key used to seal the demo's skill secrets, or those of a
skill a user created, and from then on the database refused its own key at every start
("sealed under another secret key", QA of 2026-12-06): locked to the wrong key for good.

While the key is unconfirmed (`SecretBox.key_confirmed` False) nothing is hashed or sealed under
it into the database: no LWA client (a skill's clients included), no authorization code, no token
(`require_confirmed_key`: 409 in the API's own shape, no partial write), and `--demo` does not
seed. Hashes count too: a client, code or token this process wrote would match its own key when
presented again, and pass for the proof below.

The key is proven the moment a presented secret matches a keyed hash the database holds (an
access or refresh token or a code found by its hash, a client secret whose hash matches): those
rows were written under the database's key, by an older localexa or a confirmed process, as an
unconfirmed one writes none. Then the process is confirmed at once and the key recorded
(`record_secret_key`, insert-once) in a transaction of its own, in the background: the secret is
often found inside a request whose transaction holds SQLite's write lock, which a second write
transaction of the same request would wait for. Another process's confirmation (the row appears)
or a reset is seen on the refusal path, where the database's check is read again; the token
checks pay one boolean test, and only on a lookup that missed the cache.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import Conflict
from localexa.server.lwa.key_check import (
    WrongSecretKey,
    key_confirmed,
    opens,
    record_secret_key,
    stored_check,
)

logger = logging.getLogger("localexa.lwa")

#: How to confirm, said by the refusals and the demo's skipped seed.
HOW_TO_CONFIRM = (
    "use a token or client secret the database holds once with this server (refresh a refresh "
    "token at /auth/o2/token, or call any API with an access token), or reset the database "
    "(POST /_localexa/reset, which empties it)"
)
NOT_CONFIRMED = (
    "The secret key of this server is not confirmed yet for this database (it was written before "
    "localexa recorded its key, and holds nothing sealed that tells it), so nothing is hashed or "
    "sealed under it yet: under a wrong key that would lock the database's own key out. To "
    f"confirm it, {HOW_TO_CONFIRM}; then send this request again. Nothing was changed."
)


def sealed_under_another_key(so: str, outcome: str = "Nothing was changed.") -> str:
    """Why a process under another key than the one the database recorded (another process
    confirmed its key, or reset the database, after this one started unconfirmed) cannot do what
    it was asked: nothing it can do confirms its key. `so` says what it cannot do; the words are
    the same for a write, a read of a sealed secret, a reset, a snapshot and a restore. Each
    message fits the CLI's error line whole (cli/output.py MAX_ERROR_CHARS, 500 characters): the
    reset's and the restore's were 503, and `localexa admin reset` ended "Nothing was rese…"."""
    return (
        "The database's secrets are sealed under another secret key than this server's (its key is "
        "recorded now, by a process under it that confirmed it or reset the database), "
        f"{so}: restart it with the database's "
        "key (LOCALEXA_SECRET_KEY, else <data dir>/secret-key: the same LOCALEXA_SECRET_KEY for "
        f"every process on one database). {outcome}"
    )


#: A write (a skill, an LWA client, a token, a sign-in code).
SEALED_UNDER_ANOTHER_KEY = sealed_under_another_key("so this server cannot write under its own key")
#: A read of a sealed secret (a skill's Alexa or messaging client secret): a 503 until the night of
#: 2026-12-06, which clients retried in vain, as they did the writes' 503.
CANNOT_OPEN_UNDER_ANOTHER_KEY = sealed_under_another_key(
    "so this server cannot open the secrets it holds, sealed under that key"
)
#: A reset (observe/state.py): it would empty a database the processes under its key serve, and
#: leave this server unable to write to it all the same, as a reset keeps the recorded key.
CANNOT_RESET_UNDER_ANOTHER_KEY = sealed_under_another_key(
    "so this server may not reset it: a reset keeps that key, so it would empty the database its "
    "processes serve and this server could still write nothing",
    "Nothing was reset.",
)
#: A restore: this server restores only a snapshot of its own key, whose secrets the database's
#: processes cannot open (said of whatever snapshot it is sent: it is refused before it is read).
CANNOT_RESTORE_UNDER_ANOTHER_KEY = sealed_under_another_key(
    "so this server may not restore a snapshot into it: it restores only snapshots of its own key, "
    "whose secrets the database's processes cannot open",
    "Nothing was restored.",
)
#: A snapshot: it would carry this server's key's fingerprint over rows sealed and hashed under the
#: database's key, so it restored into no server (200 until the night of 2026-12-06).
CANNOT_SNAPSHOT_UNDER_ANOTHER_KEY = sealed_under_another_key(
    "so this server may not take a snapshot of it: one would bear this server's key over secrets "
    "sealed under the database's, and restore nowhere",
    "No snapshot was taken.",
)
DEMO_NOT_SEEDED = (
    "demo: not seeded: the secret key is not confirmed yet for this database (see the warning "
    f"above). To confirm it, {HOW_TO_CONFIRM}; the next start with --demo seeds it"
)

#: The recording a proof started, per box: awaited when the app stops (`settle`).
_recording: weakref.WeakKeyDictionary[SecretBox, asyncio.Task[None]] = weakref.WeakKeyDictionary()


class KeyNotConfirmed(Conflict):
    """409, not 503: waiting does not confirm the key, someone has to act (use a token or reset),
    so the request is refused as one that conflicts with the database's state, which clients do
    not retry on their own (localexa's outage 503s ask for a retry in a second)."""


class SealedUnderAnotherKey(Conflict):
    """409, not 503, for the same reason: the database recorded another key since this process
    started unconfirmed, and only a restart under that key serves it (it was a 503 until the night
    of 2026-12-06, which clients retried in vain)."""


def key_proven(box: SecretBox, bind: AsyncEngine | AsyncSession) -> None:
    """A presented secret matched a keyed hash the database holds: `box`'s key is the database's.
    Called only while `box.key_confirmed` is False (the caller tests it, the hot path's one
    test). Confirms the process now; records the key in the background (module docstring)."""
    box.key_confirmed = True
    engine = _engine(bind)
    if engine is None:
        return
    logger.info("the secret key is confirmed: a secret the database holds matched it; recording it")
    # A context of its own: a GET's request marks its context read-only (db/session.py), and the
    # copy a task gets by default would make the recording's transaction one that only reads.
    task = asyncio.get_running_loop().create_task(_record(box, engine), context=contextvars.Context())
    _recording[box] = task


async def require_confirmed_key(session: AsyncSession, box: SecretBox) -> None:
    """Refuse to write under an unconfirmed key (`KeyNotConfirmed`), unless the database tells by
    now (another process's record, a reset, a sealed secret). Callers test `box.key_confirmed`
    first: once confirmed, this costs nothing."""
    if box.key_confirmed:
        return
    try:
        confirmed = await key_confirmed(await session.connection(), box)
    except WrongSecretKey:
        raise SealedUnderAnotherKey(SEALED_UNDER_ANOTHER_KEY) from None
    if not confirmed:
        raise KeyNotConfirmed(NOT_CONFIRMED)
    box.key_confirmed = True


async def settle(box: SecretBox) -> None:
    """Wait for the recording a proof started, if any (the app stops: the engine goes next)."""
    task = _recording.pop(box, None)
    if task is not None:
        await task


async def _record(box: SecretBox, engine: AsyncEngine) -> None:
    try:
        async with engine.begin() as conn:
            await record_secret_key(conn, box)
            sealed = await stored_check(conn)
    except Exception as exc:  # an outage: the proof holds; a later start records the key
        logger.warning(
            "the secret key is confirmed but could not be recorded now (%s): this process goes on "
            "under it; a later start is unconfirmed again until a secret confirms it",
            type(exc).__name__,
        )
        return
    if sealed is None or not opens(box, sealed):
        # Another key's row: a process under it reset the database between the proof and here
        # (a reset records the resetting key, lwa/key_check.py). Confirmed no longer.
        box.key_confirmed = False
        logger.warning("the database recorded another secret key meanwhile: this key is not confirmed")
        return
    logger.info("the secret key is recorded: a start under another key is refused from now on")


def _engine(bind: AsyncEngine | AsyncSession) -> AsyncEngine | None:
    if isinstance(bind, AsyncEngine):
        return bind
    target = bind.bind
    return target.engine if isinstance(target, AsyncConnection) else target
