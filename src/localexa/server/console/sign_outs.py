"""Which console sessions were signed out, so a saved cookie cannot be replayed after sign-out.

The session cookie is signed, not stored: without a record of sign-outs it would stay valid until
it expires (session.MAX_AGE_SECONDS). Each session carries a random id; sign-out records its hash
in `console_sign_outs` (console/models.py) until the cookie could have expired anyway, so every
process behind the database sees it, and a restart forgets nothing. Reset and restore leave the
table alone (observe/state.py): a reset must not bring a signed-out cookie back to life.

Expiry is by the wall clock, as the cookie's own (itsdangerous), not by localexa's movable clock.

Login with Amazon's pages keep their sign-outs in the same table (lwa/sign_outs.py): each store
hashes ids its own way (`hashed`), so a console id and an LWA id never land on the same row, and
gives its own expiry (its cookie's age is on localexa's clock).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.console.models import ConsoleSignOut
from localexa.server.db.engine import reading


class SignOuts:
    def __init__(
        self, engine: AsyncEngine, *, lifetime_seconds: int, hashed: Callable[[str], str] | None = None
    ) -> None:
        self._engine = engine
        self._lifetime = timedelta(seconds=lifetime_seconds)
        #: What the table holds for a session id (64 hex characters); the console's by default.
        self._hashed = hashed or _hashed

    async def record(self, session_id: str, *, expires_at: datetime | None = None) -> None:
        """Record a sign-out until `expires_at` (by default `lifetime_seconds` from now)."""
        now = datetime.now(UTC)
        session_hash = self._hashed(session_id)
        try:
            async with self._engine.begin() as conn:
                # Records of cookies that have expired by now are of no use: dropped as new ones come.
                await conn.execute(delete(ConsoleSignOut).where(ConsoleSignOut.expires_at <= now))
                already = await conn.execute(
                    select(ConsoleSignOut.session_hash).where(ConsoleSignOut.session_hash == session_hash)
                )
                if already.first() is None:
                    await conn.execute(
                        insert(ConsoleSignOut).values(
                            session_hash=session_hash, expires_at=expires_at or now + self._lifetime
                        )
                    )
        except IntegrityError:
            pass  # the same session signed out at the same moment elsewhere: its row is there

    async def signed_out(self, session_id: str) -> bool:
        async with self._engine.connect() as conn:
            await reading(conn)  # no SQLite write lock (db/engine.py)
            found = await conn.execute(
                select(ConsoleSignOut.expires_at).where(
                    ConsoleSignOut.session_hash == self._hashed(session_id)
                )
            )
            return found.first() is not None


def _hashed(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
