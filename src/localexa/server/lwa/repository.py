"""All SQL of Login with Amazon."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.lwa.models import AuthorizationCode, Customer, LwaClient, Token


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

    async def revoke_grant(self, grant_id: str) -> None:
        await self.session.execute(update(Token).where(Token.grant_id == grant_id).values(revoked=True))

    async def tokens_of_grant(self, grant_id: str) -> Sequence[Token]:
        result = await self.session.execute(select(Token).where(Token.grant_id == grant_id))
        return result.scalars().all()

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
