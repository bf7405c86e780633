"""All SQL of the Credential Locker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Executable, Row, Select, Table, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from localexa.server.core.pagination import KeysetPage, PageRequest, fitting_key, keyset_page
from localexa.server.credential_locker.models import ThreadNetwork
from localexa.server.enablement.models import Enablement
from localexa.server.lwa.models import LwaClient, Token
from localexa.server.skills.models import Skill

#: Built once: composing the statement cost as much as running it (profiled on the hot GET).
_ACCESS, _REFRESH = aliased(Token), aliased(Token)
#: Whether the grant the calling token belongs to has ended: its refresh token was revoked when
#: the customer (or the developer) disabled the skill (lwa/repository.py `end_skill_grants`).
_GRANT_ENDED = (
    exists()
    .where(
        _ACCESS.token_hash == bindparam("token_hash"),
        _REFRESH.grant_id == _ACCESS.grant_id,
        _REFRESH.kind == "refresh",
        _REFRESH.revoked.is_(True),
    )
    .label("grant_ended")
)
#: Whether the skill is enabled for the token's customer now (it may be again since a disable).
_ENABLED = (
    exists()
    .where(Enablement.customer_id == bindparam("user_id"), Enablement.skill_id == Skill.id)
    .label("enabled")
)
_MESSAGING_SKILL = (
    select(LwaClient.client_id, Skill.id, Skill.permissions, _GRANT_ENDED, _ENABLED)
    .select_from(LwaClient)
    .outerjoin(Skill, LwaClient.skill_id == Skill.id)
    .where(LwaClient.client_id == bindparam("client_id"))
)
_CLIENT_EXISTS = select(LwaClient.client_id).where(LwaClient.client_id == bindparam("client_id"))
#: uq_thread_networks_identity
_IDENTITY = ["user_id", "extended_pan_id", "network_name"]
_INSERT_NETWORK: dict[str, Executable] = {}


def _insert_network(dialect: str) -> Executable:
    """`INSERT … ON CONFLICT (identity) DO NOTHING` in `dialect`, built on first use from that
    database's own dialect module (a PostgreSQL process never loads SQLite's, nor the reverse)."""
    statement = _INSERT_NETWORK.get(dialect)
    if statement is None:
        table = cast(Table, ThreadNetwork.__table__)
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            statement = pg_insert(table).on_conflict_do_nothing(index_elements=_IDENTITY)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=_IDENTITY)
        _INSERT_NETWORK[dialect] = statement
    return statement


def _networks_page_statement(*, by_name: bool, after: bool) -> Select[Any]:
    """One keyset page of a customer's networks in insertion order (index ix_thread_networks_keyset):
    `WHERE user_id AND extended_pan_id [AND network_name] [AND id > after] ORDER BY id LIMIT n`.
    Whole rows of the table, not ORM objects: the list only reads them."""
    networks = ThreadNetwork.__table__.c
    statement = select(ThreadNetwork.__table__).where(
        networks.user_id == bindparam("user_id"), networks.extended_pan_id == bindparam("extended_pan_id")
    )
    if by_name:
        statement = statement.where(networks.network_name == bindparam("network_name"))
    if after:
        statement = statement.where(networks.id > bindparam("after_id"))
    return statement.order_by(networks.id).limit(bindparam("limit"))


#: The list's four statements (filtered by name or not, first page or a later one), built once:
#: composing them per call, and loading ORM objects, was about a quarter of a Thread networks GET
#: (bench/per_request.py thread --instructions: 4.8-5.9 million instructions before, 3.8 after).
_NETWORKS_PAGES = {
    (by_name, after): _networks_page_statement(by_name=by_name, after=after)
    for by_name in (False, True)
    for after in (False, True)
}


@dataclass(frozen=True)
class MessagingSkill:
    id: str
    permissions: list[str]


@dataclass(frozen=True)
class CallerClient:
    """The token's client as the Credential Locker sees it: `skill` is None for a client that
    is not a skill's messaging client."""

    skill: MessagingSkill | None
    #: The token's grant ended (the skill was disabled for the customer since it was issued),
    #: and the skill is not enabled for them again.
    disabled_since: bool = False


class CredentialLockerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def caller_client(
        self, client_id: str, token_hash: str, user_id: str | None
    ) -> CallerClient | None:
        """The client `client_id` with the id and permissions of the skill it is the messaging
        client of, in one statement on every Credential Locker call; None when the client is gone
        (deleted, with its tokens, after the token was checked: a reset or restore meanwhile)."""
        # On the session's connection: a Core statement gains nothing from the ORM's execute path.
        conn = await self.session.connection()
        params = {"client_id": client_id, "token_hash": token_hash, "user_id": user_id}
        row = (await conn.execute(_MESSAGING_SKILL, params)).first()
        if row is None:
            return None
        skill = None if row[1] is None else MessagingSkill(id=row[1], permissions=list(row[2] or []))
        return CallerClient(skill=skill, disabled_since=bool(row[3]) and not row[4])

    async def client_exists(self, client_id: str) -> bool:
        conn = await self.session.connection()
        return (await conn.execute(_CLIENT_EXISTS, {"client_id": client_id})).first() is not None

    async def add_network(self, row: dict[str, Any]) -> bool:
        """Insert a network (`row`: thread_networks' columns but `id`); False, with nothing
        written, when the customer already has one of this identity (a PUT before, or a
        concurrent one that won the race).

        One `INSERT … ON CONFLICT DO NOTHING` on the identity's unique constraint: it was a
        SELECT for the identity, then the INSERT (whose unique violation covered the race). A
        missing customer still fails (a foreign key: the customer went in a reset meanwhile), and
        core/error_handlers.py answers 404."""
        conn = await self.session.connection()
        inserted = await conn.execute(_insert_network(conn.dialect.name), row)
        return bool(inserted.rowcount == 1)

    async def networks_page(
        self, user_id: str, extended_pan_id: str, network_name: str | None, request: PageRequest
    ) -> KeysetPage[Row[Any]]:
        """One keyset page in insertion order; rows with the table's columns as attributes."""
        params: dict[str, Any] = {
            "user_id": user_id,
            "extended_pan_id": extended_pan_id,
            "limit": request.limit + 1,  # one more than the page: tells whether more follow
        }
        if network_name is not None:
            params["network_name"] = network_name
        if request.after is not None:
            params["after_id"] = fitting_key(request.after, 1)[0]
        statement = _NETWORKS_PAGES[(network_name is not None, request.after is not None)]
        conn = await self.session.connection()
        rows = list((await conn.execute(statement, params)).all())
        return keyset_page(rows, request, key_of=lambda row: (row.id,))
