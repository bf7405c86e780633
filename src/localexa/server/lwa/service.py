"""What a token says about itself and its customer: tokeninfo and the customer profile.

- `GET /auth/o2/tokeninfo` (spec §3; LWA "obtain profile information"): `aud` is the client id;
  `iss`, `user_id`, `app_id`, `exp` (seconds left) and `iat` (issue time, epoch seconds) follow
  LWA's documented answer. A bad token is 400 `invalid_token` there.
- `GET /user/profile` (LWA "obtain customer profile"): fields by scope. `profile` gives
  `user_id`, `name` and `email`; `profile:user_id` gives `user_id`; `postal_code` adds
  `postal_code` (when the customer has one). A bad token is 401 `invalid_token`, a token
  without any of these scopes 403 `insufficient_scope` (RFC 6750 §3.1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import Clock, as_utc
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import Unauthorized
from localexa.server.lwa import scopes as sc
from localexa.server.lwa.models import Token
from localexa.server.lwa.oauth_errors import InsufficientScope, InvalidRequest, InvalidToken
from localexa.server.lwa.repository import LwaRepository
from localexa.server.lwa.tokens import TokenIssuer

ISSUER = "https://www.amazon.com"
PROFILE_SCOPES = (sc.PROFILE, sc.PROFILE_USER_ID, sc.POSTAL_CODE)


@dataclass(frozen=True)
class TokenInfo:
    user_id: str | None
    client_id: str
    expires_in: int
    issued_at: int


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str | None = None
    email: str | None = None
    postal_code: str | None = None
    #: The LWA client the token was issued to (not answered: it attributes the call).
    client_id: str | None = None


class LwaService:
    def __init__(self, session: AsyncSession, box: SecretBox, clock: Clock) -> None:
        self.repo = LwaRepository(session)
        self.issuer = TokenIssuer(session, box, clock)
        self.clock = clock

    async def _live(self, token: str, *, status: int) -> Token:
        try:
            return await self.issuer.live_access_token(token)
        except Unauthorized as exc:
            raise InvalidToken(exc.message, status=status) from None

    async def token_info(self, token: str | None) -> TokenInfo:
        if token is None:
            raise InvalidRequest("The access_token parameter is required.")
        row = await self._live(token, status=400)
        expires_at = as_utc(row.expires_at) if row.expires_at is not None else None
        # Whole seconds rounded up: a live token never reads 0 (a client taking `exp <= 0` as
        # expired threw away a token with 0.9 s left), and a new one reads its `expires_in`, 3600.
        left = math.ceil((expires_at - self.clock.now()).total_seconds()) if expires_at else 0
        return TokenInfo(
            user_id=row.user_id,
            client_id=row.client_id,
            expires_in=max(left, 0),
            issued_at=int(as_utc(row.issued_at).timestamp()),
        )

    async def profile(self, token: str | None) -> Profile:
        if token is None:
            raise InvalidToken("The request has no access token.", token_sent=False)
        row = await self._live(token, status=401)
        granted = set(row.scopes.split())
        if not granted & set(PROFILE_SCOPES) or row.user_id is None:
            raise InsufficientScope(
                "The access token lacks the scope profile, profile:user_id or postal_code.",
                scope=" ".join(PROFILE_SCOPES),
            )
        customer = await self.repo.customer(row.user_id)
        if customer is None:  # deleted customers take their tokens along (ON DELETE CASCADE)
            raise InvalidToken("The access token is not valid.")
        full = sc.PROFILE in granted
        return Profile(
            user_id=customer.id,
            name=customer.name if full else None,
            email=customer.email if full else None,
            postal_code=customer.postal_code if sc.POSTAL_CODE in granted else None,
            client_id=row.client_id,
        )
