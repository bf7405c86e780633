"""Rules of the Skill Enablement API (skill-enablement seed; spec §1.1, §1.2, §5).

Developers (SMAPI, `alexa::ask:skills:readwrite`) enable a stage of their vendor's skill for
their own Amazon account: `PUT` enables without a link (idempotent for the same stage; enabling
one stage disables the other, giving a new skill user id), `GET` is 204 or 404, `DELETE` removes
the enablement and any link. Customers (`alexa::skills:account_linking`) enable and link in one
step: localexa exchanges the app's `authCode` at the skill's `accessTokenUrl`, seals the token
pair, and only then writes the row. A customer `POST` on an enablement that is not LINKED (e.g.
made by a developer `PUT`, or NEEDS_RELINK) links it; on a LINKED one it is 409.

Customer calls must reach the customer's own region (its data lives there): elsewhere they are
403 with a message that names the region (README "Regions").
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core import ids
from localexa.server.core.auth import Principal
from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
)
from localexa.server.core.http import OutboundHttp
from localexa.server.core.regions import AMAZON_HOSTS, Region, amazon_region_of_host
from localexa.server.db.deadlocks import DeadlockVictim
from localexa.server.db.outage import is_outage
from localexa.server.enablement.endpoint_host import host_of
from localexa.server.enablement.links import forget_link, link_client, link_not_stored, store_grant
from localexa.server.enablement.models import LINKED, NOT_LINKED, Enablement
from localexa.server.enablement.repository import CustomerView, DeveloperView, EnablementRepository
from localexa.server.enablement.schemas import (
    STAGES,
    AccountLink,
    ApiEndpoints,
    EnablementStatus,
    SkillRef,
    UserRef,
    parse_enable_and_link,
)
from localexa.server.enablement.token_server import LinkClient, TokenGrant, TokenServerRefused, exchange_code
from localexa.server.lwa.models import Customer
from localexa.server.lwa.repository import LwaRepository
from localexa.server.settings import Settings
from localexa.server.skills.service import check_skill_id

logger = logging.getLogger("localexa.enablement")

#: The message Amazon answers when the exchange at the skill's token URL fails (spec §1.2, §5).
INVALID_LINK = "Invalid account linking credentials"
MAX_SKILL_ID = 255


def regional_endpoint(region: Region, request_host: str | None, settings: Settings) -> str:
    """The endpoint of `region` as `GET /v1/alexaApiEndpoint` names it: Amazon's host name when the
    request came through one (a hosts-file entry or proxy), else `host:port` of the region's
    listener on the host the caller used (so a phone on the LAN gets a reachable address), or on
    the listening host when the request named none. Behind a proxy or a port mapping the
    listener's port is not the one clients reach: the region's public base URL, when set
    (LOCALEXA_PUBLIC_BASE_URL, LOCALEXA_EU_PUBLIC_BASE_URL, LOCALEXA_FE_PUBLIC_BASE_URL), is
    named instead (its host, and its port unless the scheme's own)."""
    host = host_of(request_host)  # a Host that is no host is a 400 (endpoint_host.py)
    if host is not None and amazon_region_of_host(host) is not None:
        return AMAZON_HOSTS[region]
    public = settings.public_origins()[region.value]
    if public is not None:
        return urlsplit(public).netloc
    if host is None:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
    port = settings.region_ports()[region.value]
    return f"{host}:{port}"


#: How often an enable reads the enablement again after a concurrent request created one first
#: (each retry follows a commit of another request: more than a few means a storm, not a race).
ENABLE_ATTEMPTS = 4


#: How often the link is stored after the database ended the storing transaction in a deadlock
#: (PostgreSQL; a reset or restore taking the tables under load, say).
STORE_ATTEMPTS = 3


def _enabled_concurrently() -> Conflict:
    return Conflict(
        "The skill was enabled and disabled concurrently for this account; retry the request.",
        code="CONFLICT",
    )


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise BadRequest(f"stage must be one of {', '.join(STAGES)}.", code="INVALID_STAGE")


class EnablementService:
    def __init__(
        self,
        session: AsyncSession,
        box: SecretBox,
        clock: Clock,
        outbound: OutboundHttp,
        settings: Settings,
    ) -> None:
        self.session = session
        self.repo = EnablementRepository(session)
        self.box = box
        self.clock = clock
        self.outbound = outbound
        self.settings = settings

    # -- developers (SMAPI) ----------------------------------------------------------------------

    async def _developer_view(
        self, principal: Principal, skill_id: str, stage: str
    ) -> tuple[DeveloperView, str]:
        """The skill's stages and the caller's enablement, if the caller may use this stage (SMAPI
        rules: unknown skill 404, another vendor's skill 403, a stage the skill lacks 404), read in
        one statement: the status GET is a hot poll."""
        _check_stage(stage)
        check_skill_id(skill_id)
        # A token without a customer matches no vendor owner (no customer id is empty): 403.
        view = await self.repo.developer_view(skill_id, principal.user_id or "")
        if view is None:
            raise NotFound(f"The skill {skill_id} was not found.", code="NOT_FOUND")
        if not view.is_developer or principal.user_id is None:
            raise Forbidden("The caller is not a developer of the skill's vendor.", code="ACCESS_DENIED")
        if stage not in view.stages:
            raise NotFound(f"The skill {skill_id} has no {stage} stage.", code="STAGE_NOT_FOUND")
        return view, principal.user_id

    async def developer_enable(self, principal: Principal, skill_id: str, stage: str) -> None:
        view, user_id = await self._developer_view(principal, skill_id, stage)
        if view.enabled_stage == stage:
            # Already enabled at this stage when the view was read: PUT is idempotent, and this
            # answer is the one it gets ordered at that read. Locking and reading the same row
            # again (on PostgreSQL an advisory lock, then SELECT … FOR UPDATE) changed nothing.
            return
        for _attempt in range(ENABLE_ATTEMPTS):
            row = await self.repo.find(user_id, skill_id, for_update=True)
            if row is not None and row.stage == stage:
                return  # already enabled at this stage: PUT is idempotent
            if row is not None:
                await self._disable(row)  # enabling one stage disables the other (seed)
            if await self.repo.add_unless_taken(self._new_row(user_id, skill_id, stage)):
                return
            # A concurrent request enabled it first: act on its enablement, as if this came second.
        raise _enabled_concurrently()

    async def developer_status(self, principal: Principal, skill_id: str, stage: str) -> None:
        view, _ = await self._developer_view(principal, skill_id, stage)
        if view.enabled_stage != stage:
            raise NotFound(f"The skill {skill_id} is not enabled at stage {stage}.", code="NOT_FOUND")

    async def developer_disable(self, principal: Principal, skill_id: str, stage: str) -> None:
        _, user_id = await self._developer_view(principal, skill_id, stage)
        row = await self.repo.find(user_id, skill_id, for_update=True)
        if row is None or row.stage != stage:
            raise NotFound(f"The skill {skill_id} is not enabled at stage {stage}.", code="NOT_FOUND")
        await self._disable(row)

    async def _disable(self, row: Enablement) -> None:
        """Delete the enablement (its sealed link tokens go with the row) and end the skill's event
        grant for the customer: refreshing it is `invalid_grant` from now on (spec §4)."""
        await LwaRepository(self.session).end_skill_grants(row.customer_id, row.skill_id)
        await self.repo.delete(row)

    # -- customers (app-to-app account linking) ----------------------------------------------------

    async def _token_customer(self, principal: Principal) -> Customer:
        if principal.user_id is None:
            raise Forbidden("The access token does not belong to a customer.")
        customer = await LwaRepository(self.session).customer(principal.user_id)
        if customer is None:
            raise Unauthorized("The access token's customer no longer exists.")
        return customer

    async def api_endpoint(self, principal: Principal, request_host: str | None) -> ApiEndpoints:
        """`GET /v1/alexaApiEndpoint`: any region's endpoint answers with the customer's own."""
        customer = await self._token_customer(principal)
        return ApiEndpoints(
            endpoints=[regional_endpoint(Region(customer.region), request_host, self.settings)]
        )

    async def customer(self, principal: Principal, region: Region) -> Customer:
        """The token's customer, refused unless this request reached the customer's region."""
        customer = await self._token_customer(principal)
        if customer.region != region.value:
            raise Forbidden(
                f"The customer's Amazon account is registered in the {customer.region} region; call "
                f"the endpoint that GET /v1/alexaApiEndpoint returns, not the {region.value} one."
            )
        return customer

    async def _customer_skill(self, principal: Principal, customer: Customer, skill_id: str) -> CustomerView:
        """The skill (404 when unknown; 403 when the token was minted for another skill's client:
        its messaging client or its Alexa client) and the customer's enablement of it, read in
        one statement."""
        if not 1 <= len(skill_id) <= MAX_SKILL_ID:
            raise BadRequest(f"skillId must be 1 to {MAX_SKILL_ID} characters long.")
        view = await self.repo.customer_view(skill_id, principal.client_id, customer.id)
        if view is None:
            raise NotFound(f"The skill {skill_id} was not found.")
        # A token minted for another skill's client is not "specific to your skill" (seed). A
        # token of an app's own client (no skill) passes for every skill: localexa's leniency, so
        # tokens minted with POST /_localexa/tokens for any app client keep working (on Amazon
        # the token comes from the skill's own Alexa client).
        if view.token_skill_id is not None and view.token_skill_id != view.skill.id:
            raise Forbidden("The access token was issued for another skill.")
        return view

    async def customer_status(self, principal: Principal, region: Region, skill_id: str) -> EnablementStatus:
        customer = await self.customer(principal, region)
        view = await self._customer_skill(principal, customer, skill_id)
        if view.enablement is None:
            raise NotFound(f"The skill {skill_id} is not enabled for this customer.")
        # A link made before the developer deleted the skill's account linking still holds tokens
        # (they last until they expire): its status stays visible, else the app thinks it unlinked.
        has_link = view.enablement.link_status != NOT_LINKED
        return self._status(view.enablement, with_link=view.skill.account_linking is not None or has_link)

    async def customer_disable(self, principal: Principal, region: Region, skill_id: str) -> None:
        customer = await self.customer(principal, region)
        view = await self._customer_skill(principal, customer, skill_id)
        # Locked (PostgreSQL) before it is deleted; on SQLite this request already holds the
        # write lock, and the view's row is the one a second read would find.
        row = (
            await self.repo.find(customer.id, view.skill.id, for_update=True)
            if self.repo.locks_rows
            else view.enablement
        )
        if row is None:
            raise NotFound(f"The skill {skill_id} is not enabled for this customer.")
        await self._disable(row)

    async def enable_and_link(
        self, principal: Principal, region: Region, skill_id: str, raw_body: bytes
    ) -> Enablement:
        customer = await self.customer(principal, region)
        view = await self._customer_skill(principal, customer, skill_id)
        # The body is parsed once the region, the skill and the token's skill are checked (as
        # accountLinkingClient PUT): parsed first, a wrong region or an unknown skill was a 400.
        body = parse_enable_and_link(raw_body)
        skill, existing = view.skill, view.enablement
        stage, link = body.stage, body.account_link_request
        if stage not in skill.stages:
            raise NotFound(f"The skill {skill_id} has no {stage} stage.")
        if existing is not None and existing.link_status == LINKED:
            raise Conflict(f"The skill {skill_id} is already enabled and linked for this customer.")
        client = link_client(skill, self.box)
        if client is None:
            raise BadRequest(f"The skill {skill_id} does not use account linking with authorization codes.")
        if client.redirect_urls and link.redirect_uri not in client.redirect_urls:
            logger.info("account link refused for %s: redirectUri is not one of the skill's", skill_id)
            raise BadRequest(INVALID_LINK)
        customer_id, skill_key = customer.id, skill.id
        await self.repo.end_read()  # no lock held during the (up to 4.5 s) exchange
        try:
            grant = await exchange_code(
                self.outbound,
                client,
                code=link.auth_code,
                redirect_uri=link.redirect_uri,
                code_verifier=link.code_verifier,
                timeout=self.settings.token_exchange_timeout,
            )
        except TokenServerRefused as exc:
            logger.info("account link refused for %s: %s", skill_id, exc.reason)
            raise BadRequest(INVALID_LINK) from exc
        # The app's authCode is spent now (a token server takes it once): a deadlock that ends
        # the transaction storing the link is retried here with the tokens in hand, since the
        # client retrying the call would only meet an exchange its code no longer passes.
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                return await self._store_link(customer_id, skill_key, skill_id, stage, grant, client)
            except DeadlockVictim as exc:
                await self.repo.end_read()  # the transaction is over; the next try starts anew
                if attempt == STORE_ATTEMPTS:
                    raise link_not_stored(
                        "the database ended the transaction storing the link to settle deadlocks, three times"
                    ) from exc
                logger.info("storing the account link of %s met a deadlock; trying again", skill_id)
                await asyncio.sleep(0.05 * attempt)
            except Exception as exc:  # "Retry" would only meet the spent code (operations QA)
                if not is_outage(exc):
                    raise
                raise link_not_stored("the database could not be reached to store the link") from exc
        raise AssertionError("unreachable")

    async def _store_link(
        self,
        customer_id: str,
        skill_key: str,
        skill_id: str,
        stage: str,
        grant: TokenGrant,
        client: LinkClient,
    ) -> Enablement:
        """Write the exchanged tokens: link the customer's enablement of the stage, or create it.

        The token's expiry is stamped by the shared clock as it is now (`Clock.read_within`): by
        this process's copy, up to 0.5 s old, a link stored right after an advance through another
        process took its token for expired that much early, and refreshed it."""
        await self.clock.read_within(await self.session.connection())
        for _attempt in range(ENABLE_ATTEMPTS):
            row = await self.repo.find(customer_id, skill_key, for_update=True)
            if row is not None and row.link_status == LINKED:
                raise Conflict(f"The skill {skill_id} is already enabled and linked for this customer.")
            if row is not None and row.stage != stage:
                await self._disable(row)  # another stage: disable it, enable this one afresh
                row = None
            if row is None:
                row = self._new_row(customer_id, skill_key, stage)
                store_grant(row, grant, self.box, self.clock, client)
                row.linked_at = self.clock.now()
                if await self.repo.add_unless_taken(row):
                    return row
                continue  # a concurrent request enabled it first: act on its enablement
            store_grant(row, grant, self.box, self.clock, client)
            row.linked_at = self.clock.now()
            await self.repo.flush()
            return row
        raise _enabled_concurrently()

    def link_view(self, row: Enablement) -> EnablementStatus:
        return self._status(row, with_link=True)

    # -- helpers ---------------------------------------------------------------------------------

    def _new_row(self, customer_id: str, skill_id: str, stage: str) -> Enablement:
        now = self.clock.now()
        row = Enablement(
            id=uuid.uuid4().hex,
            customer_id=customer_id,
            skill_id=skill_id,
            stage=stage,
            skill_user_id=ids.skill_user_id(),
            link_status=NOT_LINKED,
            created_at=now,
            updated_at=now,
        )
        forget_link(row, self.clock)
        return row

    @staticmethod
    def _status(row: Enablement, *, with_link: bool) -> EnablementStatus:
        return EnablementStatus(
            skill=SkillRef(id=row.skill_id, stage=row.stage),
            user=UserRef(id=row.skill_user_id),
            account_link=AccountLink(status=row.link_status) if with_link else None,
            status="ENABLED",
        )
