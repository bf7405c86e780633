"""Time travel against every expiry localexa keeps (README: Login with Amazon; Pages; Skill
Enablement; Directives; Observe and steer).

What expires, and by which clock (an audit of the server's `expires`, `max_age`, lifetimes and
clocks):

| what | lives | clock |
|---|---|---|
| LWA authorization code, AcceptGrant code | 5 min, once | localexa's |
| the `/ap/oa` pages' signed request (sign-in and consent forms) | 15 min | localexa's |
| access tokens (admin-made, messaging, client_credentials), cached checks too | 1 h | localexa's |
| the link's token at the skill (`expires_in`, else the skill's default, else 1 h) | that | localexa's |
| the `/ap/oa` browser session | 12 h | localexa's |
| Credential Locker and evaluation-list `nextToken`s | 24 h | localexa's |
| refresh tokens (what they give lives 1 h from then) | never | |
| console sign-in | 12 h | the wall clock (advancing 24 h from the console must not sign it out) |
| evaluation leases, case timeouts, rate-limit windows, fault and clock re-reads | s | the wall clock |
| journal retention, skill message log | a count, not a time | |

`walk()` makes one of each at the start, then moves the clock through the `issuer` to a moment
`MARGIN` seconds before and after each lifetime and checks, through the `judge`, that each thing
still works just before and has expired just after. Here both are one app on SQLite;
tests/scale/test_time_travel_processes.py runs the same walk on PostgreSQL and Redis, with the
clock moved through one server process and every check made through another.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.server.directives.runtime import Runtime
from localexa.server.evaluation.worker import EvaluationWorker
from localexa.skill import capability, discovery_endpoint
from localexa.skill.reports import add_or_update_report
from tests.conftest import ADMIN_KEY
from tests.enablement.helpers import account_linking, link_body, new_code
from tests.enablement.token_server import TokenServer, build_app
from tests.factories import Admin, Customer
from tests.lwa.browser import Browser, authorize_url, form_for, parse_forms, redirect_params
from tests.servers import serve_in_thread

#: How far before and after each lifetime the clock stops. The walk's own wall time (a few
#: seconds on a loaded machine) must stay well inside it.
MARGIN = 60.0
MINUTE, HOUR = 60.0, 3600.0
THREAD = "alexa::thread_network_credentials:read"
EVENTS = "alexa::async_event:write"
READWRITE = "alexa::ask:skills:readwrite"
LINKING = "alexa::skills:account_linking"
LOCKER = "/credentiallocker/v2/threadNetworks"
XPAN = "dead00beef00cafe"


# -- the skill's side: its token endpoint (account linking) and its directive endpoint ------------


@dataclass
class SkillSide:
    url: str
    tokens: TokenServer
    #: The AcceptGrant codes localexa sent, in order.
    grant_codes: list[str] = field(default_factory=list)

    def refreshes(self) -> int:
        return len(self.tokens.calls_with("grant_type", "refresh_token"))


def _event(namespace: str, name: str, payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    header = {"namespace": namespace, "name": name, "payloadVersion": "3", "messageId": str(uuid.uuid4())}
    return {"event": {"header": header | extra, "payload": payload}}


@contextmanager
def skill_side() -> Iterator[SkillSide]:
    """A skill's token endpoint and directive endpoint on 127.0.0.1 (a thread of this process)."""
    tokens = TokenServer(base_url="")
    side = SkillSide(url="", tokens=tokens)

    async def directive(request: Request) -> Response:
        inner = (await request.json())["directive"]
        header = inner["header"]
        if header["name"] == "AcceptGrant":
            side.grant_codes.append(inner["payload"]["grant"]["code"])
            return JSONResponse(_event("Alexa.Authorization", "AcceptGrant.Response", {}))
        if header["name"] == "Discover":
            return JSONResponse(_event("Alexa.Discovery", "Discover.Response", {"endpoints": []}))
        unreachable = {"type": "ENDPOINT_UNREACHABLE", "message": "off"}
        answer = _event(
            "Alexa", "ErrorResponse", unreachable, correlationToken=header.get("correlationToken")
        )
        answer["event"]["endpoint"] = {"endpointId": inner.get("endpoint", {}).get("endpointId", "x")}
        return JSONResponse(answer)

    routes = [*build_app(tokens).routes, Route("/skill", directive, methods=["POST"])]
    with serve_in_thread(Starlette(routes=routes)) as url:
        side.url = tokens.base_url = url
        yield side


# -- the walk -------------------------------------------------------------------------------------


@dataclass
class Sides:
    #: Where the state is made and the clock is moved.
    issuer: httpx.AsyncClient
    #: Where every check is made.
    judge: httpx.AsyncClient
    admin_key: str
    #: A new browser (its own cookies) on the judge.
    browser: Callable[[], Browser]
    #: Moves the clock through the issuer to `offset` seconds past the walk's start, and returns
    #: once the judge runs on the moved clock.
    move_to: Callable[[float], Awaitable[None]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _expired(answer: httpx.Response, what: str) -> None:
    assert answer.status_code in (400, 401), (what, answer.status_code, answer.text[:300])
    assert "expired" in answer.text, (what, answer.text[:300])


def _works(answer: httpx.Response, what: str, *statuses: int) -> None:
    assert answer.status_code in (statuses or (200,)), (what, answer.status_code, answer.text[:300])


async def _signed_in(browser: Browser, client_id: str, who: Customer) -> httpx.Response:
    """The consent page, signed in."""
    page = await browser.get(authorize_url(client_id))
    if _asks_to_sign_in(page):
        page = await browser.submit(page, "signin", fill={"email": who.email, "password": who.password})
    assert page.status_code == 200, page.text[:300]
    form_for(page.text, "consent")
    return page


def _asks_to_sign_in(page: httpx.Response) -> bool:
    return "signin" in [form.value("action") for form in parse_forms(page.text)[1]]


@dataclass
class Things:
    """One of each expiring thing, made at the walk's start (offset 0)."""

    dev: Customer
    customer: Customer
    skill_id: str
    messaging: tuple[str, str]
    app: tuple[str, str]
    dev_client: str
    #: Access tokens made at 0, and what each is checked through.
    tokens: dict[str, tuple[str, str, dict[str, str], dict[str, str]]]
    codes: list[str]
    grant_codes: list[str]
    refresh_token: str
    sign_in_pages: list[tuple[Browser, httpx.Response]]
    consent_pages: list[tuple[Browser, httpx.Response]]
    sessions: list[Browser]
    page_tokens: dict[str, tuple[str, dict[str, str]]]
    #: Signed in to the console.
    console: httpx.AsyncClient


async def _make(sides: Sides, skill: SkillSide) -> Things:
    issuer, judge = sides.issuer, sides.judge
    admin = Admin(issuer, sides.admin_key)
    dev = await admin.customer(name="Dev")
    made = await admin.skill(
        dev,
        endpoint=f"{skill.url}/skill",
        permissions=[THREAD, EVENTS],
        account_linking=account_linking(skill.tokens) | {"defaultTokenExpirationInSeconds": 3600},
    )
    k = made.skill_id
    customer = await admin.customer(name="Cy")
    app = await admin.lwa_client()
    dev_client, _ = await admin.lwa_client(name="Developer console")
    dev_token = (await admin.tokens(dev_client, dev.user_id, [READWRITE]))["access_token"]
    pair = await admin.tokens(app[0], customer.user_id, ["profile", LINKING])
    messaging = await admin.tokens(made.messaging_client_id, customer.user_id, [EVENTS])
    dev_events = await admin.tokens(made.messaging_client_id, dev.user_id, [EVENTS])
    machine = await judge.post(
        "/auth/o2/token",
        data={
            "grant_type": "client_credentials",
            "scope": "alexa:skill_messaging",
            "client_id": made.messaging_client_id,
            "client_secret": made.messaging_client_secret,
        },
    )
    assert machine.status_code == 200, machine.text
    # The developer enables the skill (events need it); the customer enables and links it (the
    # link's token, and the AcceptGrant codes localexa then sends the skill).
    put = await judge.put(f"/v1/skills/{k}/stages/development/enablement", headers=bearer(dev_token))
    assert put.status_code == 204, put.text
    linked = await judge.post(
        f"/v1/users/~current/skills/{k}/enablement",
        json=link_body(new_code()),
        headers=bearer(pair["access_token"]),
    )
    assert linked.status_code == 201, linked.text
    links = f"/_localexa/customers/{customer.user_id}/skills/{k}"
    # The link's own follow-ups (Discover, AcceptGrant) first, then two AcceptGrants of the test's.
    followed = await issuer.get(f"{links}/endpoints", params={"waitSeconds": 10}, headers=admin.headers)
    assert followed.json()["acceptGrant"]["status"] == "SUCCEEDED", followed.text
    sent = len(skill.grant_codes)
    for _ in range(2):
        granted = await issuer.post(f"{links}/accept-grant", headers=admin.headers)
        assert granted.status_code == 200, granted.text
    grant_codes = skill.grant_codes[sent:]
    assert len(grant_codes) == 2

    # Two codes from the consent page, and browsers at each page whose signature ages.
    browser = sides.browser()
    codes = []
    for _ in range(2):
        page = await _signed_in(browser, app[0], customer)
        answer = await browser.submit(page, "consent", button="allow")
        codes.append(redirect_params(answer)["code"])
    sign_in_pages = []
    for _ in range(2):
        fresh = sides.browser()
        sign_in_pages.append((fresh, await fresh.get(authorize_url(app[0]))))
    consent_pages, sessions = [], []
    for _ in range(2):
        fresh = sides.browser()
        consent_pages.append((fresh, await _signed_in(fresh, app[0], customer)))
        fresh = sides.browser()
        await _signed_in(fresh, app[0], customer)
        sessions.append(fresh)

    # Page tokens: two networks and two runs, one a page.
    locker = bearer(messaging["access_token"])
    for name in ("Home", "Cabin"):
        network = {
            "extendedPanId": XPAN,
            "networkName": name,
            "networkKey": "00112233445566778899aabbccddeeff",
            "pskc": "445f2b5ca6f2a93a55ce570a70efeecb",
            "panId": "1234",
            "channelNumber": 15,
        }
        put_network = await judge.put(LOCKER, json={"threadNetwork": network}, headers=locker)
        assert put_network.status_code in (200, 204), put_network.text
    first = await judge.get(LOCKER, params={"extendedPanId": XPAN, "maxResults": 1}, headers=locker)
    assert first.status_code == 200, first.text
    runs = f"/v1/skills/{k}/smartHome/testing/capabilityEvaluations"
    for endpoint in ("porch", "kitchen"):
        body = {
            "capabilityTestPlan": {"id": "x"},
            "endpoint": {"endpointId": endpoint},
            "stage": "development",
        }
        started = await judge.post(runs, json=body, headers=bearer(dev_token))
        assert started.status_code == 200, started.text
    listed = await judge.get(
        runs, params={"stage": "development", "maxResults": 1}, headers=bearer(dev_token)
    )
    assert listed.status_code == 200, listed.text
    page_tokens = {
        "locker": (first.json()["nextToken"], {"extendedPanId": XPAN, "maxResults": "1"}),
        "evaluations": (
            listed.json()["paginationContextToken"]["nextToken"],
            {"stage": "development", "maxResults": "1"},
        ),
    }

    # Each access token and the call that checks it (which caches the check now).
    tokens = {
        "admin-made (profile)": ("GET", "/user/profile", bearer(pair["access_token"]), {}),
        "admin-made (customer API)": ("GET", "/v1/alexaApiEndpoint", bearer(pair["access_token"]), {}),
        "admin-made (SMAPI)": ("GET", f"/v1/skills/{k}/credentials", bearer(dev_token), {}),
        "admin-made (evaluations)": ("GET", runs, bearer(dev_token), {"stage": "development"}),
        "messaging (Credential Locker)": ("GET", LOCKER, locker, {"extendedPanId": XPAN}),
        "messaging (event gateway)": ("POST", "/v3/events", bearer(dev_events["access_token"]), {}),
        "client_credentials (tokeninfo)": (
            "GET",
            "/auth/o2/tokeninfo",
            {},
            {"access_token": machine.json()["access_token"]},
        ),
    }
    for name, call in tokens.items():
        await _token_call(judge, name, *call, alive=True)

    console = sides.browser().http
    login = await console.get("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert csrf is not None
    signed = await console.post(
        "/console/login", data={"admin_key": sides.admin_key, "csrf_token": csrf.group(1), "next": "/console"}
    )
    assert signed.status_code == 303, signed.text
    return Things(
        dev,
        customer,
        k,
        (made.messaging_client_id, made.messaging_client_secret),
        app,
        dev_client,
        tokens,
        codes,
        grant_codes,
        pair["refresh_token"],
        sign_in_pages,
        consent_pages,
        sessions,
        page_tokens,
        console,
    )


async def _token_call(
    judge: httpx.AsyncClient,
    name: str,
    method: str,
    path: str,
    headers: dict[str, str],
    params: dict[str, str],
    *,
    alive: bool,
) -> None:
    body = None
    if path == "/v3/events":  # an event carries its token inside too
        body = _report(headers["Authorization"].removeprefix("Bearer "))
    answer = await judge.request(method, path, headers=headers, params=params, json=body)
    if alive:
        _works(answer, name, 200, 202)
    else:
        _expired(answer, name)


def _report(token: str) -> dict[str, Any]:
    """An AddOrUpdateReport of one light: accepted (202) while the token lives."""
    light = discovery_endpoint(
        "light-1",
        "Kitchen",
        [capability("Alexa"), capability("Alexa.PowerController", ["powerState"])],
        description="A light",
        manufacturer_name="Acme",
        display_categories=["LIGHT"],
    )
    return add_or_update_report([light], token=token)


async def _exchange(
    judge: httpx.AsyncClient, code: str, client: tuple[str, str], **extra: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client[0],
        "client_secret": client[1],
    }
    return await judge.post("/auth/o2/token", data=form | extra)


async def _directive(sides: Sides, t: Things) -> httpx.Response:
    body = {"userId": t.customer.user_id, "skillId": t.skill_id, "endpointId": "light-1"}
    body |= {"namespace": "Alexa", "name": "ReportState"}
    return await sides.judge.post(
        "/_localexa/directives", json=body, headers={"X-Localexa-Admin-Key": sides.admin_key}
    )


async def walk(sides: Sides, skill: SkillSide) -> None:
    """Every expiry, just before and just after it (see the module's table)."""
    t = await _make(sides, skill)
    judge = sides.judge

    # Codes: 5 minutes, by localexa's clock.
    await sides.move_to(5 * MINUTE - MARGIN)
    _works(await _exchange(judge, t.codes[0], t.app, redirect_uri="https://app.example.com/cb"), "code")
    _works(await _exchange(judge, t.grant_codes[0], t.messaging), "AcceptGrant code")
    await sides.move_to(5 * MINUTE + MARGIN)
    _expired(await _exchange(judge, t.codes[1], t.app, redirect_uri="https://app.example.com/cb"), "code")
    _expired(await _exchange(judge, t.grant_codes[1], t.messaging), "AcceptGrant code")

    # The pages' signed request: 15 minutes (the sign-in form and the consent form).
    await sides.move_to(15 * MINUTE - MARGIN)
    browser, page = t.sign_in_pages[0]
    signed_in = await browser.submit(
        page, "signin", fill={"email": t.customer.email, "password": t.customer.password}
    )
    _works(signed_in, "sign-in form")
    browser, page = t.consent_pages[0]
    consented = await browser.submit(page, "consent", button="allow")
    assert consented.status_code == 302, consented.text[:300]
    assert "code=" in consented.headers["location"]
    await sides.move_to(15 * MINUTE + MARGIN)
    browser, page = t.sign_in_pages[1]
    late = await browser.submit(
        page, "signin", fill={"email": t.customer.email, "password": t.customer.password}
    )
    assert late.status_code == 400, late.text[:300]
    assert "expired" in late.text
    browser, page = t.consent_pages[1]
    late = await browser.submit(page, "consent", button="allow")
    assert late.status_code == 400, late.text[:300]
    assert "expired" in late.text
    assert "location" not in late.headers  # no code

    # Access tokens: 1 hour, cached checks included; the link's token is refreshed after it.
    await sides.move_to(HOUR - MARGIN)
    for name, call in t.tokens.items():
        await _token_call(judge, name, *call, alive=True)
    refreshed = skill.refreshes()
    _works(await _directive(sides, t), "directive")
    assert skill.refreshes() == refreshed, "the link's token was refreshed before it expired"
    await sides.move_to(HOUR + MARGIN)
    for name, call in t.tokens.items():
        await _token_call(judge, name, *call, alive=False)
    _works(await _directive(sides, t), "directive")
    assert skill.refreshes() == refreshed + 1, "the link's expired token was not refreshed"

    # The /ap/oa session: 12 hours.
    await sides.move_to(12 * HOUR - MARGIN)
    assert not _asks_to_sign_in(await t.sessions[0].get(authorize_url(t.app[0]))), "signed out early"
    await sides.move_to(12 * HOUR + MARGIN)
    assert _asks_to_sign_in(await t.sessions[1].get(authorize_url(t.app[0]))), "still signed in"

    # Page tokens: 24 hours (checked with fresh tokens of the same callers).
    issuer = Admin(sides.issuer, sides.admin_key)
    await sides.move_to(24 * HOUR - MARGIN)
    await _pages(sides, t, issuer, alive=True)
    await sides.move_to(24 * HOUR + MARGIN)
    await _pages(sides, t, issuer, alive=False)

    # The console's sign-in is by the wall clock: moving localexa's clock a day (the console's own
    # button does) does not sign the console out.
    console = await t.console.get("/console/clock")
    assert console.status_code == 200, console.headers.get("location")
    assert 'name="seconds"' in console.text
    # Refresh tokens never expire; what they give lives an hour from now.
    refreshed_pair = await judge.post(
        "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": t.refresh_token,
            "client_id": t.app[0],
            "client_secret": t.app[1],
        },
    )
    _works(refreshed_pair, "refresh token")
    _works(
        await judge.get("/user/profile", headers=bearer(refreshed_pair.json()["access_token"])), "refreshed"
    )


async def _pages(sides: Sides, t: Things, issuer: Admin, *, alive: bool) -> None:
    judge = sides.judge
    dev = (await issuer.tokens(t.dev_client, t.dev.user_id, [READWRITE]))["access_token"]
    locker = (await issuer.tokens(t.messaging[0], t.customer.user_id, [EVENTS]))["access_token"]
    for name, token, path in (
        ("locker", locker, LOCKER),
        ("evaluations", dev, f"/v1/skills/{t.skill_id}/smartHome/testing/capabilityEvaluations"),
    ):
        next_token, params = t.page_tokens[name]
        answer = await judge.get(path, params=params | {"nextToken": next_token}, headers=bearer(token))
        if alive:
            _works(answer, f"{name} nextToken")
        else:
            assert answer.status_code == 400, (name, answer.text[:300])
            assert "expired" in answer.text, (name, answer.text[:300])


# -- in one app, on each database -----------------------------------------------------------------


#: SQLite here; PostgreSQL (with Redis, so with the shared token cache) walks it in two processes
#: (tests/scale/test_time_travel_processes.py), the harder case, in the suite's time budget.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_expiry_by_localexa_clock_in_one_app(app: FastAPI, client: httpx.AsyncClient) -> None:
    await app.state.evaluation_worker.stop()  # runs stay put (their leases are the wall clock's)
    browsers: list[Browser] = []

    def browser() -> Browser:
        made = Browser(app)
        browsers.append(made)
        return made

    moved = 0.0

    async def move_to(offset: float) -> None:
        nonlocal moved
        answer = await client.post(
            "/_localexa/clock",
            json={"advanceSeconds": offset - moved},
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )
        assert answer.status_code == 200, answer.text
        moved = offset

    sides = Sides(client, client, ADMIN_KEY, browser, move_to)
    try:
        with skill_side() as skill:
            await walk(sides, skill)
        # A run's lease is by the wall clock: a day of localexa's clock later it is still held.
        held = await EvaluationWorker(Runtime.of(app.state), owner="holder").claim()
        assert held is not None  # one of the walk's two pending runs
        await move_to(48 * 3600)
        other = await EvaluationWorker(Runtime.of(app.state), owner="other").claim()
        assert other is not None
        assert other.id != held.id  # the other pending run, not the held one
        assert await EvaluationWorker(Runtime.of(app.state), owner="third").claim() is None
    finally:
        await asyncio.gather(*(b.http.aclose() for b in browsers))
