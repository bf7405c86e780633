"""The admin API: customers, vendors, LWA clients, skills, tokens and the clock.

The fixed contract is ../shared/spec/admin-api.md; every call needs `X-Localexa-Admin-Key`.
Listing routes (GET) are localexa additions for the console and the CLI.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from localexa.server.admin import deletion, listing
from localexa.server.admin.schemas import (
    ClockIn,
    ClockOut,
    CustomerIn,
    CustomerOut,
    LwaClientIn,
    LwaClientOut,
    LwaClientView,
    TokensIn,
    TokensOut,
    VendorIn,
    VendorOut,
)
from localexa.server.core.admin_route import AdminRoute
from localexa.server.core.auth import AdminKey
from localexa.server.core.clock import iso
from localexa.server.core.deps import BoxDep, ClockDep
from localexa.server.core.errors import BadRequest, NotFound
from localexa.server.core.message_parts import Parts, named
from localexa.server.db.session import SessionDep
from localexa.server.lwa.expired import ExpiredSweeper
from localexa.server.lwa.models import Customer, LwaClient
from localexa.server.lwa.registry import Registry, is_alexa_client
from localexa.server.lwa.repository import LwaRepository
from localexa.server.lwa.scopes import (
    ACCOUNT_LINKING,
    ALEXA_CLIENT_SCOPES,
    CLIENT_CREDENTIALS_SCOPES,
    SMAPI_PREFIX,
)
from localexa.server.lwa.tokens import TokenIssuer, new_grant_id
from localexa.server.skills.models import Skill, Vendor
from localexa.server.skills.repository import SkillRepository
from localexa.server.skills.schemas import (
    AlexaClientCredentials,
    SkillCreated,
    SkillDetail,
    SkillMessagingCredentials,
    SkillSpec,
    SkillView,
)
from localexa.server.skills.service import SkillService

router = APIRouter(prefix="/_localexa", tags=["admin"], dependencies=[AdminKey], route_class=AdminRoute)


def _customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(
        user_id=customer.id,
        name=customer.name,
        email=customer.email,
        region=customer.region,
        postal_code=customer.postal_code,
    )


# `postalCode` is left out, not null, for a customer without one: the contract's answer stays as written.
@router.post(
    "/customers",
    status_code=201,
    response_model=CustomerOut,
    response_model_by_alias=True,
    response_model_exclude_none=True,
)
async def create_customer(body: CustomerIn, session: SessionDep, box: BoxDep, clock: ClockDep) -> CustomerOut:
    customer = await Registry(session, box, clock).create_customer(
        name=body.name,
        email=body.email,
        password=body.password,
        region=body.region,
        postal_code=body.postal_code,
    )
    return _customer_out(customer)


@router.get(
    "/customers",
    response_model=list[CustomerOut],
    response_model_by_alias=True,
    response_model_exclude_none=True,
)
async def list_customers(
    request: Request,
    response: Response,
    session: SessionDep,
    limit: listing.Limit = None,
    after: listing.After = None,
) -> list[CustomerOut]:
    """Oldest first; every one without `limit` (admin/listing.py)."""
    rows = await listing.answer_page(
        request, response, session, Customer, Customer.id, limit=limit, after=after, what="customer"
    )
    return [_customer_out(c) for c in rows]


@router.get(
    "/customers/{user_id}",
    response_model=CustomerOut,
    response_model_by_alias=True,
    response_model_exclude_none=True,
)
async def get_customer(user_id: str, session: SessionDep) -> CustomerOut:
    customer = await LwaRepository(session).customer(user_id)
    if customer is None:
        raise NotFound(Parts.of("No customer ", *named(user_id), "."))
    return _customer_out(customer)


@router.delete("/customers/{user_id}", status_code=204, response_class=Response)
async def delete_customer(user_id: str, session: SessionDep) -> Response:
    """Deletes the customer and everything that is theirs (admin/deletion.py): 204, 404 when
    unknown, 409 when a vendor they own still has skills. Their tokens stop at once, in every
    process (the token epoch moves at the commit); the journal keeps its entries."""
    if not await deletion.delete_customer(session, user_id):
        raise NotFound(Parts.of("No customer ", *named(user_id), "."))
    return Response(status_code=204)


@router.post(
    "/vendors",
    status_code=201,
    response_model=VendorOut,
    response_model_by_alias=True,
    response_model_exclude_none=True,
)
async def create_vendor(body: VendorIn, session: SessionDep, box: BoxDep, clock: ClockDep) -> VendorOut:
    vendor = await SkillService(session, box, clock).create_vendor(
        name=body.name, owner_user_id=body.owner_user_id
    )
    return VendorOut(vendor_id=vendor.id)


@router.get("/vendors", response_model=list[VendorOut], response_model_by_alias=True)
async def list_vendors(
    request: Request,
    response: Response,
    session: SessionDep,
    limit: listing.Limit = None,
    after: listing.After = None,
) -> list[VendorOut]:
    """Oldest first; every one without `limit` (admin/listing.py)."""
    rows = await listing.answer_page(
        request, response, session, Vendor, Vendor.id, limit=limit, after=after, what="vendor"
    )
    return [VendorOut(vendor_id=v.id, name=v.name, owner_user_id=v.owner_user_id) for v in rows]


@router.post("/lwa-clients", status_code=201, response_model=LwaClientOut, response_model_by_alias=True)
async def create_lwa_client(
    body: LwaClientIn, session: SessionDep, box: BoxDep, clock: ClockDep
) -> LwaClientOut:
    created = await Registry(session, box, clock).create_client(
        name=body.name, redirect_uris=body.redirect_uris
    )
    return LwaClientOut(client_id=created.client_id, client_secret=created.client_secret)


@router.get("/lwa-clients", response_model=list[LwaClientView], response_model_by_alias=True)
async def list_lwa_clients(
    request: Request,
    response: Response,
    session: SessionDep,
    limit: listing.Limit = None,
    after: listing.After = None,
) -> list[LwaClientView]:
    """Oldest first; every one without `limit` (admin/listing.py)."""
    rows = await listing.answer_page(
        request,
        response,
        session,
        LwaClient,
        LwaClient.client_id,
        limit=limit,
        after=after,
        what="LWA client",
    )
    return [
        LwaClientView(client_id=c.client_id, name=c.name, redirect_uris=c.redirect_uris, skill_id=c.skill_id)
        for c in rows
    ]


@router.post("/skills", status_code=201, response_model=SkillCreated, response_model_by_alias=True)
async def create_skill(body: SkillSpec, session: SessionDep, box: BoxDep, clock: ClockDep) -> SkillCreated:
    created = await SkillService(session, box, clock).create_skill(body)
    return SkillCreated(
        skill_id=created.skill.id,
        skill_messaging_credentials=SkillMessagingCredentials(
            client_id=created.messaging.client_id, client_secret=created.messaging.client_secret
        ),
        alexa_client_credentials=AlexaClientCredentials(
            client_id=created.alexa.client_id, client_secret=created.alexa.client_secret
        ),
    )


def _skill_fields(skill: Skill) -> dict[str, Any]:
    return {
        "skill_id": skill.id,
        "vendor_id": skill.vendor_id,
        "name": skill.name,
        "stages": skill.stages,
        "endpoint": skill.endpoint,
        "regions": {region: {"endpoint": uri} for region, uri in (skill.regional_endpoints or {}).items()},
        "permissions": skill.permissions,
        "account_linking": skill.account_linking,
        "messaging_client_id": skill.messaging_client_id,
        "alexa_client_id": skill.alexa_client_id,
        "created_at": iso(skill.created_at),
    }


@router.get("/skills", response_model=list[SkillView], response_model_by_alias=True)
async def list_skills(
    request: Request,
    response: Response,
    session: SessionDep,
    limit: listing.Limit = None,
    after: listing.After = None,
) -> list[SkillView]:
    """Oldest first; every one without `limit` (admin/listing.py)."""
    # Ids only: the list is what tables print (the console, `localexa admin skills list`).
    rows = await listing.answer_page(
        request, response, session, Skill, Skill.id, limit=limit, after=after, what="skill"
    )
    return [SkillView(**_skill_fields(s)) for s in rows]


@router.get("/skills/{skill_id}", response_model=SkillDetail, response_model_by_alias=True)
async def get_skill(skill_id: str, session: SessionDep, box: BoxDep, clock: ClockDep) -> SkillDetail:
    """The skill, with its Alexa client's secret. Shown again, unlike an app client's: Amazon's
    console shows the "Alexa Client Secret" any time, no SMAPI call gives it back (the messaging
    secret has Skill Credentials), and the admin key already mints any client's tokens, so the
    secret tells its holder nothing more. A suite that lost the 201 (or a skill made by the CLI or
    the demo) gets it here."""
    found = await SkillRepository(session).skill_and_alexa_secret(skill_id)
    if found is None:
        raise NotFound(Parts.of("No skill ", *named(skill_id), "."))
    skill, sealed = found
    credentials = None
    if skill.alexa_client_id is not None and sealed is not None:
        secret = Registry(session, box, clock).open_secret(skill.alexa_client_id, sealed)
        credentials = AlexaClientCredentials(client_id=skill.alexa_client_id, client_secret=secret)
    return SkillDetail(**_skill_fields(skill), alexa_client_credentials=credentials)


@router.delete("/skills/{skill_id}", status_code=204, response_class=Response)
async def delete_skill(skill_id: str, session: SessionDep) -> Response:
    """Deletes the skill, its messaging and Alexa clients and everything that is theirs
    (enablements, their tokens and codes, messages, evaluations: admin/deletion.py): 204, 404
    when unknown. Their tokens stop at once, in every process; the journal keeps its entries."""
    if not await deletion.delete_skill(session, skill_id):
        raise NotFound(Parts.of("No skill ", *named(skill_id), "."))
    return Response(status_code=204)


@router.post("/tokens", status_code=201, response_model=TokensOut)
async def create_tokens(
    body: TokensIn, session: SessionDep, box: BoxDep, clock: ClockDep
) -> dict[str, object]:
    """The pair LWA would issue to `clientId` for `userId` after consent (admin-api.md).

    The expiry is stamped by the shared clock as it is now: this process's copy may be up to
    `Clock.refresh_interval` old, and a token minted just after an advance through another process
    expired on arrival (stamped an hour after the clock before the advance). Read in this call's
    own transaction (`Clock.read_within`), not in one of its own."""
    await clock.read_within(await session.connection())
    repo = LwaRepository(session)
    client = await repo.client(body.client_id)
    if client is None:
        raise BadRequest(f"clientId {body.client_id} is not an LWA client.")
    if is_alexa_client(client) and not set(body.scopes) <= ALEXA_CLIENT_SCOPES:
        # As /ap/oa refuses it (invalid_scope): a token LWA could never issue this client.
        raise BadRequest(
            f"clientId {body.client_id} is a skill's Alexa client: it may be granted only {ACCOUNT_LINKING}."
        )
    if client.skill_id is not None and ACCOUNT_LINKING in body.scopes:
        # A skill's messaging client has no /ap/oa (no redirect URI), so LWA never grants it the
        # customer's account-linking scope: its token enabled and linked the skill (a POST only
        # the customer's app makes), where the AcceptGrant token may only check and disable.
        raise BadRequest(
            f"clientId {body.client_id} is a skill's messaging client: it is never granted {ACCOUNT_LINKING}."
        )
    refused = _never_granted(client.skill_id is not None, body.scopes)
    if refused:
        raise BadRequest(
            f"clientId {body.client_id} is never granted {', '.join(refused)} for a customer: "
            + (
                "a skill's messaging client gets the customer's token from AcceptGrant, without SMAPI's "
                "scopes, and client_credentials scopes only by that grant."
                if client.skill_id is not None
                else "client_credentials scopes go to a skill's messaging client, by that grant only."
            )
        )
    if await repo.customer(body.user_id) is None:
        raise BadRequest(f"userId {body.user_id} is not a customer.")
    issued = await TokenIssuer(session, box, clock).issue(
        client_id=body.client_id, user_id=body.user_id, scopes=body.scopes, grant_id=new_grant_id()
    )
    return issued.as_response()


def _never_granted(messaging_client: bool, scopes: list[str]) -> list[str]:
    """Scopes LWA never puts in a customer's token of this client that would give it another
    role (QA of 2026-12-05: a messaging client's token minted with SMAPI scopes managed its own
    skill's credentials and linking as the developer). A messaging client gets its customer token
    from the AcceptGrant exchange: never SMAPI's scopes (nor account linking, refused above).
    Nobody gets the client_credentials scopes in a customer's token. Other scopes stay free to
    mint (suites mint `profile` tokens of messaging clients; they reach nothing but the profile)."""
    return list(
        dict.fromkeys(  # each named once, however often it was asked for
            scope
            for scope in scopes
            if scope in CLIENT_CREDENTIALS_SCOPES or (messaging_client and scope.startswith(SMAPI_PREFIX))
        )
    )


@router.get("/clock", response_model=ClockOut)
async def get_clock(request: Request, clock: ClockDep) -> ClockOut:
    await clock.refresh(request.app.state.engine, force=True)
    return ClockOut(now=iso(clock.now()))


@router.post("/clock", response_model=ClockOut)
async def advance_clock(body: ClockIn, request: Request, clock: ClockDep) -> ClockOut:
    """Moves localexa's clock forward for every expiry (codes, tokens, page tokens), then deletes
    the codes and access tokens the move took past a day after their expiry (lwa/expired.py), so
    time travel shows it at once (a failed sweep is logged; the advance stands)."""
    now = await clock.advance(request.app.state.engine, body.advance_seconds)
    sweeper: ExpiredSweeper = request.app.state.expired_sweeper
    await sweeper.sweep()
    return ClockOut(now=iso(now))
