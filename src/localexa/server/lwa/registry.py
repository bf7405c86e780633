"""Creating Amazon accounts (customers) and LWA clients (Security Profiles).

Used by the admin API and demo mode. Passwords get a slow hash; client secrets a keyed hash, and
a sealed copy only for a skill's own two clients, whose secrets are shown again: its messaging
client (Skill Credentials; `skill_id` set) and its Alexa client for app-to-app account linking
(the admin API, as Amazon's console shows it any time; `skill_id` None, `skills.alexa_client_id`
names it). An app's client keeps only the hash: its secret is shown once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core import ids
from localexa.server.core.clock import Clock
from localexa.server.core.crypto import NotOpened, SecretBox
from localexa.server.core.errors import Conflict
from localexa.server.db.integrity import Violation, violation
from localexa.server.lwa.key_check import WRONG_KEY as WRONG_KEY
from localexa.server.lwa.key_check import WrongSecretKey as WrongSecretKey
from localexa.server.lwa.key_confirmation import (
    CANNOT_OPEN_UNDER_ANOTHER_KEY,
    SealedUnderAnotherKey,
    require_confirmed_key,
)
from localexa.server.lwa.models import Customer, LwaClient
from localexa.server.lwa.repository import LwaRepository


@dataclass(frozen=True)
class NewClient:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class ClientSpec:
    """A client to create: `skill_id` marks a skill's messaging client; `sealed` keeps a copy of
    the secret that can be opened again (a skill's messaging and Alexa clients)."""

    name: str
    redirect_uris: list[str]
    skill_id: str | None = None
    sealed: bool = False


def is_alexa_client(client: LwaClient) -> bool:
    """Whether `client` is a skill's Alexa client (app-to-app account linking): the only clients
    whose secret is sealed that are no skill's messaging client. Told from the client's own row,
    which /ap/oa and the admin API read anyway: looking up `skills.alexa_client_id` there would
    cost each of them a statement (tests/core/test_statement_budget.py)."""
    return client.skill_id is None and client.secret_sealed is not None


class Registry:
    def __init__(self, session: AsyncSession, box: SecretBox, clock: Clock) -> None:
        self.repo = LwaRepository(session)
        self.box = box
        self.clock = clock

    async def create_customer(
        self, *, name: str, email: str, password: str, region: str, postal_code: str | None = None
    ) -> Customer:
        email = email.strip().lower()
        if await self.repo.customer_by_email(email) is not None:
            raise Conflict(f"A customer with the email {email} already exists.")
        customer = Customer(
            id=ids.account_id(),
            name=name,
            email=email,
            password_hash=self.box.hash_password(password),
            region=region,
            postal_code=postal_code,
            created_at=self.clock.now(),
        )
        self.repo.add(customer)
        try:
            await self.repo.flush()
        except IntegrityError as exc:
            if violation(exc) is not Violation.UNIQUE:
                raise
            # Another request (or process) created the same email between the check and here.
            raise Conflict(f"A customer with the email {email} already exists.") from exc
        return customer

    async def create_client(
        self, *, name: str, redirect_uris: list[str], skill_id: str | None = None
    ) -> NewClient:
        spec = ClientSpec(
            name=name, redirect_uris=redirect_uris, skill_id=skill_id, sealed=skill_id is not None
        )
        (created,) = await self.create_clients(spec)
        return created

    async def create_clients(self, *specs: ClientSpec) -> list[NewClient]:
        """The clients, written in one flush: a skill's two clients are one INSERT, so creating a
        skill costs no more statements than when it had only its messaging client. Refused while
        the secret key is not confirmed (lwa/key_confirmation.py): their hashes and sealed secrets
        would be under a key that may be the wrong one."""
        if not self.box.key_confirmed:
            await require_confirmed_key(self.repo.session, self.box)
        created: list[NewClient] = []
        for spec in specs:
            client_id = ids.lwa_client_id()
            secret = ids.lwa_client_secret()
            self.repo.add(
                LwaClient(
                    client_id=client_id,
                    name=spec.name,
                    secret_hash=self.box.hash_token(secret),
                    secret_sealed=self.box.seal(secret, context=client_id) if spec.sealed else None,
                    redirect_uris=list(spec.redirect_uris),
                    skill_id=spec.skill_id,
                    created_at=self.clock.now(),
                )
            )
            created.append(NewClient(client_id=client_id, client_secret=secret))
        await self.repo.flush()
        return created

    def messaging_secret(self, client: LwaClient) -> str:
        """The clear secret of a skill messaging client (sealed at rest)."""
        if client.secret_sealed is None:
            raise ValueError("only a skill's own clients keep a readable secret")
        return self.open_secret(client.client_id, client.secret_sealed)

    def open_secret(self, client_id: str, sealed: str) -> str:
        """The clear secret of a skill's messaging or Alexa client, from its sealed copy.

        One this key does not open was sealed under another: a start refuses such a database
        (lwa/key_check.py), so this process started while the database could not tell its key,
        and a process under the database's key has since sealed secrets (or a reset recorded
        that key). 409 in the API's own shape, in the words of the writes refused then
        (lwa/key_confirmation.py), not 503: waiting changes nothing, only a restart under the
        database's key opens them (a 503 with the start-up's words until the night of 2026-12-06,
        a 500 with a traceback before)."""
        try:
            return self.box.open(sealed, context=client_id)
        except NotOpened:
            raise SealedUnderAnotherKey(CANNOT_OPEN_UNDER_ANOTHER_KEY) from None


async def set_redirect_uris(session: AsyncSession, client_id: str, redirect_uris: list[str]) -> None:
    """Replace a client's redirect URIs, in one UPDATE without loading the client."""
    await session.execute(
        update(LwaClient).where(LwaClient.client_id == client_id).values(redirect_uris=list(redirect_uris))
    )
