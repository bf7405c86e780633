"""Demo mode: seed a customer, a developer, a vendor, an app's LWA client and the My Lights skill,
then print a walk-through of what to try.

The demo's ids and secrets are kept in `<data dir>/demo.json` (owner-only), so a restart reuses
them and prints the same walk-through; after `POST /_localexa/reset` the next start seeds anew.
They are also kept in the database, sealed with the secret key (db/base.py `DemoSeed`): several
`--demo` processes on one database (each with its own data dir) seed one demo set between them.
On PostgreSQL they take turns with an advisory lock held until the seed commits (SQLite's write
lock does the same), so the first seeds and the others reuse its ids and secrets.
My Lights itself runs beside the server (cli/serve_servers.py) on `settings.resolved_demo_port()`. It
keeps its accounts and tokens in memory, so a start marks every link to the skill NEEDS_RELINK
when those links were made with an earlier My Lights at this address (`_forget_dead_link`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.admin.demo_checks import CUSTOMER_EMAIL as CUSTOMER_EMAIL
from localexa.server.admin.demo_checks import DEVELOPER_EMAIL as DEVELOPER_EMAIL
from localexa.server.admin.demo_checks import developer_email_taken, older_demo_refusal, open_seed
from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.db.base import DEMO_SEAL_CONTEXT, DemoSeed
from localexa.server.enablement.links import mark_link_invalid
from localexa.server.enablement.models import LINKED, Enablement
from localexa.server.lwa.key_confirmation import DEMO_NOT_SEEDED
from localexa.server.lwa.registry import Registry
from localexa.server.lwa.repository import LwaRepository
from localexa.server.settings import Settings
from localexa.server.skills.models import Skill
from localexa.server.skills.schemas import SkillSpec
from localexa.server.skills.service import SkillService, follow_account_linking

logger = logging.getLogger("localexa.demo")

CUSTOMER_PASSWORD = "demo-password"
DEVELOPER_PASSWORD = "developer-password"
MYLIGHTS_CLIENT_ID = "alexa-skill"
MYLIGHTS_CLIENT_SECRET = "mylights-secret"  # the sample's own default (samples/mylights/config.py)
#: `pg_advisory_xact_lock` key: concurrent `--demo` starts on one PostgreSQL database take turns
#: (the migrations' lock, db/migrate.py, is another key and is released before this one is taken).
DEMO_LOCK_ID = 0x10CA1DE0


@dataclass
class DemoState:
    customer_id: str
    developer_id: str
    vendor_id: str
    app_client_id: str
    app_client_secret: str
    skill_id: str
    messaging_client_id: str
    messaging_client_secret: str


@dataclass(frozen=True)
class DemoAddresses:
    """Where the walk-through sends the user: the callback the demo app and skill accept, and the
    My Lights that holds the skill's accounts. The seeding process's: a second `--demo` process on
    the same database reuses its records, which name the first one's addresses (printing its own,
    it printed a walk-through that failed at steps 1 and 3)."""

    callback: str
    mylights: str


def callback_url(settings: Settings) -> str:
    return f"{settings.base_url()}/_localexa/demo/callback"


def mylights_url(settings: Settings) -> str:
    return f"{settings.scheme}://127.0.0.1:{settings.resolved_demo_port()}"


def _regional_endpoints(mylights: str) -> dict[str, str]:
    """The demo skill's EU and FE endpoints: My Lights learns from them which region's gateway a
    customer's events go to (NA customers use the skill's `endpoint`)."""
    return {"EU": f"{mylights}/skill/eu", "FE": f"{mylights}/skill/fe"}


async def _give_regional_endpoints(session: AsyncSession, settings: Settings, state: DemoState) -> None:
    """A demo seeded before skills had regional endpoints (revision 0007) gets them, when its My
    Lights is this process's: its EU and FE customers' events then reach their own gateway."""
    skill = await session.get(Skill, state.skill_id)
    ours = mylights_url(settings)
    if skill is not None and skill.regional_endpoints is None and skill.endpoint == f"{ours}/skill":
        skill.regional_endpoints = _regional_endpoints(ours)


def _state_file(settings: Settings) -> Path:
    return settings.data_dir / "demo.json"


def load_state(settings: Settings) -> DemoState | None:
    path = _state_file(settings)
    if not path.exists():
        return None
    try:
        return DemoState(**json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None


def _save_state(settings: Settings, state: DemoState) -> None:
    path = _state_file(settings)
    path.touch(mode=0o600)
    path.write_text(json.dumps(asdict(state), indent=2) + "\n")


async def _create(session: AsyncSession, app: FastAPI, settings: Settings) -> DemoState:
    registry = Registry(session, app.state.box, app.state.clock)
    customer = await registry.create_customer(
        name="Demo Customer",
        email=CUSTOMER_EMAIL,
        password=CUSTOMER_PASSWORD,
        region="NA",
        postal_code="98109",
    )
    developer = await registry.create_customer(
        name="Demo Developer", email=DEVELOPER_EMAIL, password=DEVELOPER_PASSWORD, region="NA"
    )
    app_client = await registry.create_client(name="My Lights app", redirect_uris=[callback_url(settings)])
    skills = SkillService(session, app.state.box, app.state.clock)
    vendor = await skills.create_vendor(name="My Lights Inc.", owner_user_id=developer.id)
    lights = mylights_url(settings)
    spec = SkillSpec.model_validate(
        {
            "vendorId": vendor.id,
            "name": "My Lights",
            "stages": ["development", "live"],
            "endpoint": f"{lights}/skill",
            "regions": {region: {"endpoint": uri} for region, uri in _regional_endpoints(lights).items()},
            "permissions": ["alexa::async_event:write", "alexa::thread_network_credentials:read"],
            "accountLinking": {
                "type": "AUTH_CODE",
                "authorizationUrl": f"{lights}/authorize",
                "accessTokenUrl": f"{lights}/token",
                "clientId": MYLIGHTS_CLIENT_ID,
                "clientSecret": MYLIGHTS_CLIENT_SECRET,
                "accessTokenScheme": "HTTP_BASIC",
                "scopes": ["lights"],
                "redirectUrls": [callback_url(settings)],
            },
        }
    )
    # The skill gets its Alexa client here as every skill does, but the walk-through keeps linking
    # through the "My Lights app" client: a demo seeded before skills had Alexa clients has none,
    # and one walk-through for both kinds of seed needs a client every seed has.
    created = await skills.create_skill(spec)
    return DemoState(
        customer_id=customer.id,
        developer_id=developer.id,
        vendor_id=vendor.id,
        app_client_id=app_client.client_id,
        app_client_secret=app_client.client_secret,
        skill_id=created.skill.id,
        messaging_client_id=created.messaging.client_id,
        messaging_client_secret=created.messaging.client_secret,
    )


async def _forget_dead_link(
    session: AsyncSession, clock: Clock, settings: Settings, state: DemoState
) -> bool:
    """Mark every link to the demo skill NEEDS_RELINK when the My Lights it was made with is gone:
    the skill's device cloud is the one this process is about to start (same address), and My
    Lights keeps its accounts and tokens in memory only. Every link to the demo skill is to My
    Lights' one account (`demo`, samples/mylights/config.py), so every one is dead: the demo
    customer's (step 3), and the demo developer's that the evaluations section has them make
    (since 2026-12-06; only the demo customer's was marked, and the developer's next evaluation
    ended in an error at its Discover).

    Left LINKED, the printed walk-through failed after every restart on the same data dir: step 3
    was refused (409, "already enabled and linked") and step 4 got INVALID_AUTHORIZATION_CREDENTIAL
    from My Lights. As NEEDS_RELINK, step 3 links again (a new token exchange and AcceptGrant).
    A process whose My Lights is not the skill's (another `--demo` process on the same database,
    on other ports) leaves the links alone: the My Lights that holds their tokens still runs."""
    skill = await session.get(Skill, state.skill_id)
    if skill is None or skill.endpoint != f"{mylights_url(settings)}/skill":
        return False
    linked = select(Enablement.customer_id).where(
        Enablement.skill_id == state.skill_id, Enablement.link_status == LINKED
    )
    customers = sorted((await session.execute(linked)).scalars())
    if not customers:
        return False
    logger.info(
        "demo: My Lights starts empty, so %d earlier account link(s) to the demo skill need relinking",
        len(customers),
    )
    for customer_id in customers:
        await mark_link_invalid(session, clock, customer_id=customer_id, skill_id=state.skill_id)
    return True


async def _adopt_stale_addresses(session: AsyncSession, settings: Settings, state: DemoState) -> bool:
    """Point the demo's records at this process when the addresses they name are dead: the same
    data dir served again with another `--port`, `--tls` or `--host` (`localexa serve`, then
    `localexa serve --tls`). The walk-through printed the first run's callback and My Lights, and
    failed from step 1 (a redirect to a closed port, or to http:// on the HTTPS port).

    Records naming another process that still answers there (a second `--demo` process on the same
    database, on other ports) are left alone: its My Lights holds the accounts and tokens."""
    recorded = await _addresses(session, settings, state)
    ours = DemoAddresses(callback=callback_url(settings), mylights=mylights_url(settings))
    if recorded == ours:
        return False
    for address in (recorded.callback, recorded.mylights):
        if not _is_ours(address, settings) and await _answers(address):
            return False
    client = await LwaRepository(session).client(state.app_client_id)
    if client is not None:
        client.redirect_uris = [
            ours.callback if uri == recorded.callback else uri for uri in client.redirect_uris
        ]
    skill = await session.get(Skill, state.skill_id)
    if skill is not None:
        skill.endpoint = f"{ours.mylights}/skill"
        skill.regional_endpoints = _regional_endpoints(ours.mylights)
        if skill.account_linking is not None:
            skill.account_linking = {
                **skill.account_linking,
                "authorizationUrl": f"{ours.mylights}/authorize",
                "accessTokenUrl": f"{ours.mylights}/token",
                "redirectUrls": [ours.callback],
            }
            await follow_account_linking(session, skill)  # its Alexa client's redirect URIs
    logger.info("demo: moved to this server's addresses (%s, %s)", ours.callback, ours.mylights)
    return True


def _is_ours(address: str, settings: Settings) -> bool:
    """`address` is on one of the ports this process is about to listen on (its scheme or host
    may differ: what changed is why the records are stale)."""
    port = urlsplit(address).port
    return port in {settings.port, settings.resolved_demo_port()}


async def _answers(address: str) -> bool:
    """Something accepts connections at `address`'s host and port (within a short wait)."""
    parts = urlsplit(address)
    host = parts.hostname or "127.0.0.1"
    if _is_unspecified(host):  # a wildcard listener (`--host 0.0.0.0`) is reached locally
        host = "127.0.0.1"
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, parts.port or 80), 0.5)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def _is_unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a name, not an address
        return False


def _seal(box: SecretBox, state: DemoState) -> str:
    return box.seal(json.dumps(asdict(state)), context=DEMO_SEAL_CONTEXT)


async def _seeded(session: AsyncSession, box: SecretBox) -> DemoState | None:
    """The demo another process (or this one, with another data dir) seeded, if it is still there."""
    row = await session.get(DemoSeed, 1)
    if row is None:
        return None
    state = DemoState(**open_seed(box, row.sealed))  # another key: refused (admin/demo_checks.py)
    if await LwaRepository(session).customer(state.customer_id) is None:
        await session.delete(row)  # its records are gone (a restore without them): seed anew
        await session.flush()
        return None
    return state


async def ensure_demo(app: FastAPI) -> DemoState:
    """The demo records, created unless they are already there (by this process or another)."""
    settings: Settings = app.state.settings
    box: SecretBox = app.state.box
    local = load_state(settings)
    async with app.state.sessions() as session:
        if app.state.engine.dialect.name == "postgresql":
            # Held until the commit below: a process starting beside this one waits here, then
            # finds the seed row. (On SQLite this transaction holds the write lock from BEGIN.)
            await session.execute(select(func.pg_advisory_xact_lock(DEMO_LOCK_ID)))
        seeded = await _seeded(session, box)
        if local is not None and await LwaRepository(session).customer(local.customer_id) is not None:
            state = local
            if seeded is None:  # seeded before the database kept it: let other processes reuse it
                session.add(DemoSeed(id=1, sealed=_seal(box, state)))
        elif seeded is not None:
            state = seeded
        else:
            # The refusals of admin/demo_checks.py (a start with the check met them before this).
            if await LwaRepository(session).customer_by_email(CUSTOMER_EMAIL) is not None:
                # Seeded by an older localexa that kept it only in its own data dir's demo.json.
                raise RuntimeError(older_demo_refusal(local is not None))
            if await LwaRepository(session).customer_by_email(DEVELOPER_EMAIL) is not None:
                raise RuntimeError(developer_email_taken())
            state = await _create(session, app, settings)
            session.add(DemoSeed(id=1, sealed=_seal(box, state)))
        await _adopt_stale_addresses(session, settings, state)
        await _give_regional_endpoints(session, settings, state)
        await _forget_dead_link(session, app.state.clock, settings, state)
        addresses = await _addresses(session, settings, state)
        await session.commit()
    if state != local:
        _save_state(settings, state)
    app.state.demo_addresses = addresses
    return state


async def _addresses(session: AsyncSession, settings: Settings, state: DemoState) -> DemoAddresses:
    """The addresses the demo's records name (this process's own when they name none)."""
    client = await LwaRepository(session).client(state.app_client_id)
    skill = await session.get(Skill, state.skill_id)
    callback = (
        client.redirect_uris[0] if client is not None and client.redirect_uris else callback_url(settings)
    )
    mylights = (
        skill.endpoint.removesuffix("/skill")
        if skill is not None and skill.endpoint.endswith("/skill")
        else mylights_url(settings)
    )
    return DemoAddresses(callback=callback, mylights=mylights)


async def seed_demo(app: FastAPI) -> None:
    """Startup hook of `localexa serve` in demo mode."""
    settings: Settings = app.state.settings
    if not app.state.box.key_confirmed:
        # An upgraded database that cannot tell this key from another (lwa/key_confirmation.py):
        # seeding seals the skill's secrets, and under a wrong key the database then refused its
        # own at every start (QA of 2026-12-06). A seed from before the key was recorded always
        # has a sealed secret that confirms it, so there is nothing to reuse either.
        logger.warning(DEMO_NOT_SEEDED)
        return
    state = await ensure_demo(app)
    try:
        from localexa.samples.mylights import shared_cloud

        # My Lights needs the skill's Alexa credentials for AcceptGrant and ChangeReports.
        shared_cloud().set_alexa_credentials(state.messaging_client_id, state.messaging_client_secret)
    except ImportError:  # pragma: no cover - the sample ships with localexa
        logger.warning("My Lights sample not available")
    print(walkthrough(settings, state, app.state.demo_addresses), flush=True)


def walkthrough(settings: Settings, state: DemoState, addresses: DemoAddresses | None = None) -> str:
    from localexa.server.admin.demo_text import render_walkthrough

    if addresses is None:
        addresses = DemoAddresses(callback=callback_url(settings), mylights=mylights_url(settings))
    return render_walkthrough(settings, state, addresses)
