"""A world in which every operation a normal user drives can be called again and again, and the
calls themselves, for counting what each costs (tests/core/test_statement_budget.py).

Each operation is `(prepare, call)`: `prepare` puts in place what one call consumes (an
authorization code, an enablement to delete, a new network name) and is not counted; `call` sends
the one request and checks its status.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from localexa.server.evaluation.plans import plan_id_for
from localexa.skill import change_report
from localexa.skill.properties import power_state
from tests.evaluation.skills import REDIRECT, SkillServer
from tests.factories import Admin, Customer, Skill
from tests.lwa.browser import REDIRECT_URI, Browser, authorize_url, redirect_params

READWRITE = "alexa::ask:skills:readwrite"
ACCOUNT_LINKING = "alexa::skills:account_linking"
ASYNC_EVENTS = "alexa::async_event:write"
THREAD = "alexa::thread_network_credentials:read"
XPAN = "dead00beef00cafe"
#: Networks stored under XPAN before the counting starts: three pages of 5.
NETWORKS = 15


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    client: httpx.AsyncClient
    admin: Admin
    browser: Browser
    server: SkillServer
    developer: Customer
    skill: Skill
    developer_token: str
    linking_token: str
    locker_token: str
    event_token: str
    app_client: tuple[str, str]
    refresh_token: str
    evaluation_id: str = ""
    #: The developer's own enablement was deleted by the last call.
    unlinked: bool = False
    #: What `prepare` leaves for the next call (a code, a second page's token, ...).
    pending: dict[str, Any] = field(default_factory=dict)

    @property
    def evaluations(self) -> str:
        return f"/v1/skills/{self.skill.skill_id}/smartHome/testing/capabilityEvaluations"

    @property
    def developer_path(self) -> str:
        return f"/v1/skills/{self.skill.skill_id}/stages/development/enablement"

    @property
    def customer_path(self) -> str:
        return f"/v1/users/~current/skills/{self.skill.skill_id}/enablement"


def _check(answer: httpx.Response, status: int) -> httpx.Response:
    assert answer.status_code == status, (answer.request.method, answer.request.url, answer.text)
    return answer


async def build_world(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, server: SkillServer
) -> World:
    """A developer whose skill (My Lights at `server`, with every permission) is enabled and linked
    in their own account and discovered; an app client with a customer's refresh token; the
    skill's event token; NETWORKS Thread networks; one finished evaluation."""
    developer = await admin.customer(name="Dev")
    skill = await admin.skill(
        developer,
        endpoint=f"{server.url}/skill",
        account_linking=server.account_linking(),
        permissions=[ASYNC_EVENTS, THREAD],
    )
    developer_token = await admin.access_token(developer.user_id, [READWRITE])
    linking_token = await admin.access_token(developer.user_id, [ACCOUNT_LINKING])
    app_client = await admin.lwa_client([REDIRECT_URI])
    tokens = await admin.tokens(app_client[0], developer.user_id, ["profile"])
    skill_tokens = await admin.tokens(skill.messaging_client_id, developer.user_id, [ASYNC_EVENTS])
    # The Credential Locker's customer never enables the skill: the enablement operations below
    # disable it for the developer, which ends the developer's grant (and its Locker access).
    locker_customer = await admin.customer()
    locker_tokens = await admin.tokens(skill.messaging_client_id, locker_customer.user_id, [ASYNC_EVENTS])
    world = World(
        client=client,
        admin=admin,
        browser=browser,
        server=server,
        developer=developer,
        skill=skill,
        developer_token=developer_token,
        linking_token=linking_token,
        locker_token=locker_tokens["access_token"],
        event_token=skill_tokens["access_token"],
        app_client=app_client,
        refresh_token=tokens["refresh_token"],
    )
    await _link(world)
    await _followed_up(world)
    for index in range(NETWORKS):
        await _put_network(world, f"net-{index:02d}")
    return world


async def _followed_up(world: World) -> None:
    """The after-link follow-up (Discover, AcceptGrant) of the current link is over."""
    app = world.client._transport.app  # type: ignore[attr-defined]
    assert await app.state.after_link_runner.wait(world.developer.user_id, world.skill.skill_id, 10.0)


async def settle(world: World) -> None:
    """Linked, and the link's follow-up over: where every operation starts (not counted)."""
    if world.unlinked:
        await _link(world)
    await _followed_up(world)


async def _link(world: World) -> httpx.Response:
    world.unlinked = False
    body = {
        "stage": "development",
        "accountLinkRequest": {
            "redirectUri": REDIRECT,
            "authCode": world.server.auth_code(),
            "type": "AUTH_CODE",
        },
    }
    return _check(
        await world.client.post(world.customer_path, json=body, headers=bearer(world.linking_token)), 201
    )


async def _put_network(world: World, name: str) -> httpx.Response:
    network = {"extendedPanId": XPAN, "networkName": name, "networkKey": "ab" * 16, "panId": "1234"}
    return _check(
        await world.client.put(
            "/credentiallocker/v2/threadNetworks",
            json={"threadNetwork": network},
            headers=bearer(world.locker_token),
        ),
        200,
    )


async def _nothing(world: World) -> None:
    return None


Step = Callable[[World], Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    call: Step
    prepare: Step = _nothing


OPERATIONS: dict[str, Operation] = {}


def operation(name: str, prepare: Step = _nothing) -> Callable[[Step], Step]:
    def register(call: Step) -> Step:
        OPERATIONS[name] = Operation(call, prepare)
        return call

    return register


# -- Login with Amazon ---------------------------------------------------------------------------


@operation("token refresh")
async def _refresh(world: World) -> None:
    client_id, secret = world.app_client
    form = {
        "grant_type": "refresh_token",
        "refresh_token": world.refresh_token,
        "client_id": client_id,
        "client_secret": secret,
    }
    _check(await world.client.post("/auth/o2/token", data=form), 200)


async def _new_code(world: World) -> None:
    answer = await world.browser.authorize(
        authorize_url(world.app_client[0]), email=world.developer.email, password=world.developer.password
    )
    world.pending["code"] = redirect_params(answer)["code"]


@operation("authorization-code exchange", prepare=_new_code)
async def _exchange(world: World) -> None:
    client_id, secret = world.app_client
    form = {
        "grant_type": "authorization_code",
        "code": world.pending.pop("code"),
        "redirect_uri": REDIRECT_URI,
        "client_id": client_id,
        "client_secret": secret,
    }
    _check(await world.client.post("/auth/o2/token", data=form), 200)


@operation("client credentials")
async def _client_credentials(world: World) -> None:
    form = {
        "grant_type": "client_credentials",
        "scope": "alexa:skill_messaging",
        "client_id": world.skill.messaging_client_id,
        "client_secret": world.skill.messaging_client_secret,
    }
    _check(await world.client.post("/auth/o2/token", data=form), 200)


@operation("tokeninfo")
async def _tokeninfo(world: World) -> None:
    _check(await world.client.get("/auth/o2/tokeninfo", headers=bearer(world.developer_token)), 200)


@operation("profile")
async def _profile(world: World) -> None:
    token = world.pending.get("profile_token")
    if token is None:
        tokens = await world.admin.tokens(world.app_client[0], world.developer.user_id, ["profile"])
        token = world.pending["profile_token"] = tokens["access_token"]
    _check(await world.client.get("/user/profile", headers=bearer(token)), 200)


async def _open_page(world: World) -> None:
    world.pending["page"] = _check(await world.browser.get(authorize_url(world.app_client[0])), 200)


@operation("sign-in page GET /ap/oa (signed in)")
async def _authorize_page(world: World) -> None:
    _check(await world.browser.get(authorize_url(world.app_client[0])), 200)


@operation("consent POST /ap/oa (allow)", prepare=_open_page)
async def _consent(world: World) -> None:
    _check(await world.browser.submit(world.pending.pop("page"), "consent", button="allow"), 302)


# -- Skill Enablement, Skill Credentials -----------------------------------------------------------


@operation("SMAPI enablement PUT")
async def _smapi_put(world: World) -> None:
    _check(await world.client.put(world.developer_path, headers=bearer(world.developer_token)), 204)


@operation("SMAPI enablement GET")
async def _smapi_get(world: World) -> None:
    _check(await world.client.get(world.developer_path, headers=bearer(world.developer_token)), 204)


@operation("SMAPI enablement DELETE", prepare=_smapi_put)
async def _smapi_delete(world: World) -> None:
    _check(await world.client.delete(world.developer_path, headers=bearer(world.developer_token)), 204)
    world.unlinked = True


@operation("skill credentials GET")
async def _credentials(world: World) -> None:
    path = f"/v1/skills/{world.skill.skill_id}/credentials"
    _check(await world.client.get(path, headers=bearer(world.developer_token)), 200)


@operation("alexaApiEndpoint")
async def _api_endpoint(world: World) -> None:
    _check(await world.client.get("/v1/alexaApiEndpoint", headers=bearer(world.linking_token)), 200)


async def _unlink(world: World) -> None:
    _check(await world.client.delete(world.customer_path, headers=bearer(world.linking_token)), 200)
    world.unlinked = True


@operation("customer enable-and-link POST", prepare=_unlink)
async def _customer_post(world: World) -> None:
    await _link(world)


@operation("customer enablement GET")
async def _customer_get(world: World) -> None:
    _check(await world.client.get(world.customer_path, headers=bearer(world.linking_token)), 200)


@operation("customer enablement DELETE")
async def _customer_delete(world: World) -> None:
    await _unlink(world)


# -- Credential Locker, events ----------------------------------------------------------------------


@operation("Credential Locker PUT")
async def _locker_put(world: World) -> None:
    await _put_network(world, "n-" + secrets.token_hex(6))


@operation("Credential Locker GET (first page)")
async def _locker_first(world: World) -> None:
    params = {"extendedPanId": XPAN, "maxResults": "5"}
    answer = await world.client.get(
        "/credentiallocker/v2/threadNetworks", params=params, headers=bearer(world.locker_token)
    )
    body = _check(answer, 200).json()
    assert len(body["threadNetworks"]) == 5, body
    assert body["nextToken"], body
    world.pending["next_token"] = body["nextToken"]


async def _first_page(world: World) -> None:
    await _locker_first(world)


@operation("Credential Locker GET (later page)", prepare=_first_page)
async def _locker_later(world: World) -> None:
    params = {"extendedPanId": XPAN, "maxResults": "5", "nextToken": world.pending.pop("next_token")}
    answer = await world.client.get(
        "/credentiallocker/v2/threadNetworks", params=params, headers=bearer(world.locker_token)
    )
    assert len(_check(answer, 200).json()["threadNetworks"]) == 5


@operation("/v3/events ChangeReport")
async def _event(world: World) -> None:
    report = change_report(
        "kitchen", [power_state(True)], cause="PHYSICAL_INTERACTION", token=world.event_token
    )
    answer = await world.client.post("/v3/events", json=report, headers=bearer(world.event_token))
    _check(answer, 202)


# -- capability evaluations -------------------------------------------------------------------------


async def _previous_run_over(world: World) -> None:
    if world.evaluation_id:
        await _wait_finished(world, world.evaluation_id)


async def _wait_finished(world: World, evaluation_id: str) -> None:
    for _ in range(2000):
        answer = await world.client.get(
            f"{world.evaluations}/{evaluation_id}", headers=bearer(world.developer_token)
        )
        if answer.json()["status"] != "IN_PROGRESS":
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the evaluation did not finish")


@operation("evaluation start", prepare=_previous_run_over)
async def _evaluation_start(world: World) -> None:
    body = {
        "capabilityTestPlan": {"id": plan_id_for("PowerController")},
        "endpoint": {"endpointId": "porch"},
        "stage": "development",
    }
    answer = await world.client.post(world.evaluations, json=body, headers=bearer(world.developer_token))
    world.evaluation_id = _check(answer, 200).json()["id"]


@operation("evaluation get", prepare=_previous_run_over)
async def _evaluation_get(world: World) -> None:
    path = f"{world.evaluations}/{world.evaluation_id}"
    _check(await world.client.get(path, headers=bearer(world.developer_token)), 200)


@operation("evaluation list")
async def _evaluation_list(world: World) -> None:
    answer = await world.client.get(
        world.evaluations, params={"stage": "development"}, headers=bearer(world.developer_token)
    )
    _check(answer, 200)


@operation("evaluation results", prepare=_previous_run_over)
async def _evaluation_results(world: World) -> None:
    path = f"{world.evaluations}/{world.evaluation_id}/results"
    _check(await world.client.get(path, headers=bearer(world.developer_token)), 200)


# -- the admin calls the testing kit uses most --------------------------------------------------------


@operation("admin POST customers")
async def _admin_customer(world: World) -> None:
    await world.admin.customer(name="Extra")


@operation("admin GET customers/{id}")
async def _admin_get_customer(world: World) -> None:
    path = f"/_localexa/customers/{world.developer.user_id}"
    _check(await world.client.get(path, headers=world.admin.headers), 200)


@operation("admin POST skills")
async def _admin_skill(world: World) -> None:
    vendor = world.pending.get("vendor")
    if vendor is None:
        vendor = world.pending["vendor"] = await world.admin.vendor(world.developer)
    body = {"vendorId": vendor, "name": "Extra", "endpoint": "http://127.0.0.1:9/skill"}
    _check(await world.client.post("/_localexa/skills", json=body, headers=world.admin.headers), 201)


@operation("admin GET skills/{id}")
async def _admin_get_skill(world: World) -> None:
    path = f"/_localexa/skills/{world.skill.skill_id}"
    _check(await world.client.get(path, headers=world.admin.headers), 200)


@operation("admin POST tokens")
async def _admin_tokens(world: World) -> None:
    await world.admin.tokens(world.app_client[0], world.developer.user_id, ["profile"])


@operation("admin GET clock")
async def _admin_get_clock(world: World) -> None:
    _check(await world.client.get("/_localexa/clock", headers=world.admin.headers), 200)


@operation("admin POST clock")
async def _admin_clock(world: World) -> None:
    await world.admin.advance_clock(1)
