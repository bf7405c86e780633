"""All SQL of Login with Amazon.

The token endpoint's reads and the token INSERT are prebuilt Core statements on the session's
connection, not ORM objects: a refresh reads two rows and writes one, and building, tracking and
flushing ORM objects for them was a third of its CPU (bench/, issue 9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Delete, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from localexa.server.core.clock import usable_offset
from localexa.server.db.base import ClockState
from localexa.server.lwa.models import KIND_GRANT, AuthorizationCode, Customer, LwaClient, Token
from localexa.server.lwa.token_cache import ENDS_NO_LIVE_TOKEN, REVOKES_REFRESH_TOKENS_ONLY


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """What the token endpoint needs to authenticate a client."""

    client_id: str
    secret_hash: str
    skill_id: str | None


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a refresh needs of its refresh token."""

    kind: str
    revoked: bool
    client_id: str
    user_id: str | None
    scopes: str
    grant_id: str
    #: Issued by a PKCE exchange without the secret: refreshed with client_id alone. Read with
    #: the row the refresh reads anyway, so the public case costs no statement of its own.
    public_client: bool


_CLIENT_CREDENTIALS = select(LwaClient.client_id, LwaClient.secret_hash, LwaClient.skill_id).where(
    LwaClient.client_id == bindparam("client_id")
)
#: Read `FOR SHARE` (PostgreSQL; SQLite serialises writers): held until the refresh commits, so a
#: replayed code's revocation waits for the access token the refresh is issuing and revokes it too
#: (`LwaRepository.revoke_grant`); concurrent refreshes of one token share the lock.
_TOKEN_GRANT = (
    select(
        Token.kind,
        Token.revoked,
        Token.client_id,
        Token.user_id,
        Token.scopes,
        Token.grant_id,
        Token.public_client,
    )
    .where(Token.token_hash == bindparam("token_hash"))
    .with_for_update(read=True)
)
#: The grant's refresh token, locked before its tokens are revoked (`LwaRepository.revoke_grant`).
_LOCK_GRANT_REFRESH = (
    select(Token.token_hash)
    .where(Token.grant_id == bindparam("grant_id"), Token.kind == "refresh")
    .with_for_update()
)
_INSERT_TOKENS = insert(Token.__table__)  # type: ignore[arg-type]
_CLOCK_OFFSET = select(ClockState.offset_seconds).where(ClockState.id == 1)


async def _localexa_now(conn: AsyncConnection) -> datetime:
    """localexa's clock as this transaction reads the shared offset (core/clock.py `read_within`):
    a revocation's `revoked_at`. Read here rather than passed in: a revocation is rare (a replayed
    code, a disabled skill) and its callers hold no clock of their own to pass."""
    offset = usable_offset((await conn.execute(_CLOCK_OFFSET)).scalar())
    return datetime.now(UTC) + timedelta(seconds=offset)


def _expired_batch(key: Any, expires_at: Any, *only: Any) -> Delete:
    """`DELETE … WHERE key IN (SELECT key … WHERE expires_at < :before LIMIT :batch FOR UPDATE
    SKIP LOCKED)`: one range scan of the index on `expires_at` (or `revoked_at`). On PostgreSQL a
    row another transaction holds (a code being exchanged, a grant being revoked, a refresh reading
    its token, another process's sweep) is skipped, not waited for, so sweeps never wait on rows
    nor deadlock on them; SQLite has no FOR UPDATE (its write lock serializes writers)."""
    expired = (
        select(key)
        .where(expires_at < bindparam("before"), *only)
        .limit(bindparam("batch"))
        .with_for_update(skip_locked=True)
    )
    return (
        delete(key.class_)
        .where(key.in_(expired))
        # Only rows expired or revoked by the shared clock: no live token ends (lwa/token_cache.py).
        .execution_options(synchronize_session=False, **{ENDS_NO_LIVE_TOKEN: True})
    )


_EXPIRED_CODES = _expired_batch(AuthorizationCode.code_hash, AuthorizationCode.expires_at)
#: Access tokens only: refresh tokens never expire (their `expires_at` is NULL), and `kind` says so
#: again should one ever get an expiry.
_EXPIRED_ACCESS_TOKENS = _expired_batch(Token.token_hash, Token.expires_at, Token.kind == "access")
#: Tokens of every kind revoked before `before` (the partial index `ix_lwa_tokens_revoked_at`):
#: revoked refresh tokens, which nothing else deletes, and the revoked access tokens not yet gone
#: with their expiry (they expired within an hour of their revocation).
_REVOKED_TOKENS = _expired_batch(Token.token_hash, Token.revoked_at)


async def delete_expired_codes(conn: AsyncConnection, *, before: datetime, batch: int) -> int:
    """Delete up to `batch` authorization codes (every kind, used or not) that expired before
    `before`; the number deleted (lwa/expired.py)."""
    result = await conn.execute(_EXPIRED_CODES, {"before": before, "batch": batch})
    return int(result.rowcount or 0)


async def delete_expired_access_tokens(conn: AsyncConnection, *, before: datetime, batch: int) -> int:
    """Delete up to `batch` access tokens (`Atza|`, `Atc|`) that expired before `before`; the
    number deleted (lwa/expired.py)."""
    result = await conn.execute(_EXPIRED_ACCESS_TOKENS, {"before": before, "batch": batch})
    return int(result.rowcount or 0)


async def delete_revoked_tokens(conn: AsyncConnection, *, before: datetime, batch: int) -> int:
    """Delete up to `batch` tokens of any kind revoked before `before`; the number deleted
    (lwa/expired.py)."""
    result = await conn.execute(_REVOKED_TOKENS, {"before": before, "batch": batch})
    return int(result.rowcount or 0)


class LwaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # customers
    async def customer(self, user_id: str) -> Customer | None:
        return await self.session.get(Customer, user_id)

    async def customer_by_email(self, email: str) -> Customer | None:
        result = await self.session.execute(select(Customer).where(Customer.email == email.lower()))
        return result.scalar_one_or_none()

    # clients
    async def client(self, client_id: str) -> LwaClient | None:
        return await self.session.get(LwaClient, client_id)

    async def client_credentials(self, client_id: str) -> ClientCredentials | None:
        conn = await self.session.connection()
        row = (await conn.execute(_CLIENT_CREDENTIALS, {"client_id": client_id})).first()
        return None if row is None else ClientCredentials(*row)

    # codes
    async def code(self, code_hash: str) -> AuthorizationCode | None:
        return await self.session.get(AuthorizationCode, code_hash, with_for_update=True)

    async def claim_code(self, code_hash: str, now: datetime) -> bool:
        """Mark a code used unless it already is; False when another request used it first.

        One conditional UPDATE, so two exchanges of the same code cannot both win (also on
        SQLite, which ignores FOR UPDATE).
        """
        result = await self.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_hash == code_hash, AuthorizationCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    # tokens
    async def token(self, token_hash: str) -> Token | None:
        return await self.session.get(Token, token_hash)

    async def token_grant(self, token_hash: str) -> TokenGrant | None:
        conn = await self.session.connection()
        row = (await conn.execute(_TOKEN_GRANT, {"token_hash": token_hash})).first()
        return None if row is None else TokenGrant(*row)

    async def insert_tokens(self, rows: list[dict[str, Any]]) -> None:
        """Token rows, written at once; objects the session still holds are flushed first (a token
        may name a client or customer created in the same transaction)."""
        await self.session.flush()
        conn = await self.session.connection()
        await conn.execute(_INSERT_TOKENS, rows)

    async def revoke_grant(self, grant_id: str) -> None:
        """Revoke every token of the grant (a replayed code, RFC 6749 §4.1.2), those a refresh is
        issuing now included. On PostgreSQL an UPDATE sees only rows committed before it began: a
        refresh that read its refresh token before this revocation and committed its access token
        after it kept that token (QA of 2026-12-07). So the refresh token is locked first, which
        waits for refreshes under way (they hold it FOR SHARE, `_TOKEN_GRANT`); the UPDATE, a
        statement of its own begun after that, then sees what they issued. A refresh coming later
        waits for this lock and reads the refresh token revoked."""
        conn = await self.session.connection()
        await conn.execute(_LOCK_GRANT_REFRESH, {"grant_id": grant_id})
        now = await _localexa_now(conn)
        await self.session.execute(
            update(Token)
            .where(Token.grant_id == grant_id, Token.revoked.is_(False))
            .values(revoked=True, revoked_at=now)
        )

    async def end_skill_grants(self, user_id: str, skill_id: str) -> None:
        """The skill was disabled for this customer: the refresh tokens its messaging client holds
        for them (AcceptGrant's) stop working, `invalid_grant` (spec §4, event gateway), and an
        AcceptGrant code not exchanged yet is gone (`invalid_grant`): exchanged after the disable,
        it gave the skill a new refresh token, for ever (QA of 2026-12-05). Access tokens live
        out their hour: events then get 403 SKILL_DISABLED_EXCEPTION, as at Amazon."""
        await self.session.execute(
            delete(AuthorizationCode)
            .where(
                AuthorizationCode.user_id == user_id,
                AuthorizationCode.skill_id == skill_id,
                AuthorizationCode.kind == KIND_GRANT,
            )
            .execution_options(synchronize_session=False)
        )
        messaging_clients = select(LwaClient.client_id).where(LwaClient.skill_id == skill_id)
        await self.session.execute(
            update(Token)
            .where(
                Token.user_id == user_id,
                Token.kind == "refresh",
                Token.client_id.in_(messaging_clients),
                Token.revoked.is_(False),
            )
            .values(revoked=True, revoked_at=await _localexa_now(await self.session.connection()))
            # No answer is cached for a refresh token: other processes need not be told, so this
            # needs no Redis (lwa/token_cache.py).
            .execution_options(synchronize_session=False, **{REVOKES_REFRESH_TOKENS_ONLY: True})
        )

    async def tokens_of_grant(self, grant_id: str) -> Sequence[Token]:
        result = await self.session.execute(select(Token).where(Token.grant_id == grant_id))
        return result.scalars().all()

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
