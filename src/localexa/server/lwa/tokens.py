"""Issuing and checking LWA tokens (access `Atza|…`, refresh `Atzr|…`, client access `Atc|…`).

Access tokens live 3600 s by localexa's clock; refresh tokens never expire but die with their
grant (a replayed authorization code revokes the whole grant, RFC 6749 §4.1.2), public ones
(`public_client`, a PKCE exchange without the secret) included. Only keyed hashes are stored.
Other areas issue tokens through `TokenIssuer` (AcceptGrant exchanges, the admin token call) and
check them through `LwaTokenVerifier`, wired into core.auth by app.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from localexa.server.core.auth import Principal
from localexa.server.core.clock import Clock, as_utc
from localexa.server.core.crypto import SecretBox, random_token
from localexa.server.core.errors import Unauthorized
from localexa.server.db.engine import read_only_connection
from localexa.server.lwa.key_confirmation import key_proven, require_confirmed_key
from localexa.server.lwa.models import Token
from localexa.server.lwa.repository import LwaRepository
from localexa.server.lwa.token_cache import CachedToken, TokenCache

ACCESS_TOKEN_LIFETIME = timedelta(seconds=3600)
ACCESS_PREFIX = "Atza|"
REFRESH_PREFIX = "Atzr|"
#: A client_credentials token belongs to no customer, and Amazon's skill messaging page shows it
#: as `"access_token":"Atc|MQEWYJxEnP3I1ND03Zz..."` (observe/redaction.py knows this prefix too).
CLIENT_ACCESS_PREFIX = "Atc|"
# "Atza|" + 346 URL-safe characters ("Atc|" + 346 for client tokens): Amazon's access tokens are
# at least 350 characters.
_ACCESS_TOKEN_BYTES = 259
_REFRESH_TOKEN_BYTES = 96


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int
    scopes: tuple[str, ...]

    def as_response(self, *, with_scope: bool = False) -> dict[str, object]:
        """RFC 6749 §5.1 body as LWA sends it; `with_scope` adds the granted scopes, which LWA
        sends for client_credentials (skill messaging page: `"scope":"alexa:skill_messaging"`)."""
        body: dict[str, object] = {"access_token": self.access_token}
        if with_scope:
            body["scope"] = " ".join(self.scopes)
        body["token_type"] = "bearer"
        body["expires_in"] = self.expires_in
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


def new_grant_id() -> str:
    return secrets.token_hex(16)


class TokenIssuer:
    def __init__(self, session: AsyncSession, box: SecretBox, clock: Clock) -> None:
        self.repo = LwaRepository(session)
        self.box = box
        self.clock = clock

    async def issue(
        self,
        *,
        client_id: str,
        user_id: str | None,
        scopes: list[str] | tuple[str, ...],
        grant_id: str,
        with_refresh: bool = True,
        access_prefix: str = ACCESS_PREFIX,
        public_client: bool = False,
    ) -> IssuedTokens:
        """`public_client` marks both rows: the refresh row so that it is refreshed with client_id
        alone (lwa/token_endpoint.py), the access row for the record. Refused while the secret key
        is not confirmed (lwa/key_confirmation.py); the token endpoint has confirmed it by then."""
        if not self.box.key_confirmed:
            await require_confirmed_key(self.repo.session, self.box)
        now = self.clock.now()
        row = {
            "client_id": client_id,
            "user_id": user_id,
            "scopes": " ".join(scopes),
            "grant_id": grant_id,
            "issued_at": now,
            "revoked": False,
            "public_client": public_client,
        }
        access = random_token(access_prefix, _ACCESS_TOKEN_BYTES)
        rows = [
            row
            | {
                "token_hash": self.box.hash_token(access),
                "kind": "access",
                "expires_at": now + ACCESS_TOKEN_LIFETIME,
            }
        ]
        refresh: str | None = None
        if with_refresh:
            refresh = random_token(REFRESH_PREFIX, _REFRESH_TOKEN_BYTES)
            rows.append(
                row | {"token_hash": self.box.hash_token(refresh), "kind": "refresh", "expires_at": None}
            )
        await self.repo.insert_tokens(rows)
        return IssuedTokens(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            scopes=tuple(scopes),
        )

    async def live_access_token(self, token: str) -> Token:
        """The stored row of a live access token, or Unauthorized."""
        row = await self.repo.token(self.box.hash_token(token))
        if row is not None and not self.box.key_confirmed:
            key_proven(self.box, self.repo.session)  # its hash matched (lwa/key_confirmation.py)
        if row is None or row.kind != "access" or row.revoked:
            raise Unauthorized("The access token is not valid.", code="INVALID_TOKEN")
        if row.expires_at is not None and as_utc(row.expires_at) <= self.clock.now():
            raise Unauthorized("The access token has expired.", code="EXPIRED_TOKEN")
        return row


class LwaTokenVerifier:
    """core.auth.TokenVerifier backed by the LWA token table.

    Every authenticated call passes here. A live token's answer comes from the token cache
    (lwa/token_cache.py: revocations anywhere end it at once); otherwise it is one Core SELECT of
    four columns on a read-only connection (no ORM session, and on SQLite no write lock even
    inside a POST). Expiry is checked against localexa's clock on every call.
    """

    _LIVE_ACCESS = select(Token.client_id, Token.user_id, Token.scopes, Token.expires_at).where(
        Token.token_hash == bindparam("token_hash"), Token.kind == "access", Token.revoked.is_(False)
    )

    def __init__(self, cache: TokenCache | None = None) -> None:
        self.cache = cache if cache is not None else TokenCache(enabled=False)

    async def verify_access_token(self, request: Request, token: str) -> Principal:
        state = request.app.state
        box: SecretBox = state.box
        clock: Clock = state.clock
        token_hash = box.hash_token(token)
        # Read before the database is asked, so a revocation committed meanwhile voids the entry.
        epoch = await self.cache.epoch()
        now = clock.now()
        found = None if epoch is None else self.cache.get(token_hash, epoch)
        if found is not None and _expired(found, now):
            # Expired since it was cached: the database says whether the row is still there
            # ("expired") or the sweep deleted it a day after its expiry ("not valid", as for any
            # unknown token; the sweep does not move the epoch: lwa/token_cache.py).
            self.cache.discard(token_hash)
            found = None
        if found is None:
            found = await self._lookup(state.engine, token_hash)
            if found is not None and not box.key_confirmed:
                # Its hash matched: the key is the database's (lwa/key_confirmation.py). Tested only
                # here, past the cache: a cached token was found by a lookup that tested it.
                key_proven(box, state.engine)
            if found is not None and epoch is not None and not _expired(found, now):
                self.cache.put(token_hash, epoch, found)
        if found is None:
            raise Unauthorized("The access token is not valid.", code="INVALID_TOKEN")
        if _expired(found, now):
            raise Unauthorized("The access token has expired.", code="EXPIRED_TOKEN")
        return Principal(
            client_id=found.client_id, user_id=found.user_id, scopes=found.scopes, token_hash=token_hash
        )

    async def _lookup(self, engine: AsyncEngine, token_hash: str) -> CachedToken | None:
        async with read_only_connection(engine) as conn:
            row = (await conn.execute(self._LIVE_ACCESS, {"token_hash": token_hash})).first()
        if row is None:
            return None
        return CachedToken(
            client_id=row.client_id,
            user_id=row.user_id,
            scopes=frozenset(row.scopes.split()),
            expires_at=None if row.expires_at is None else as_utc(row.expires_at),
        )


def _expired(token: CachedToken, now: datetime) -> bool:
    return token.expires_at is not None and token.expires_at <= now
