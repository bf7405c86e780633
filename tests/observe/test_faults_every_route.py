"""Faults on every operation of the API description (README: Observe and steer, Faults).

One world (a developer and their skill, a customer, their tokens, a signed-in browser at the
consent page, a pending evaluation run) and one valid call of each operation `app.openapi()`
lists, the control plane excepted (README: it is never faulted). Then, on one app per database:

1. every kind of answer a fault gives (statuses the APIs name, one they do not, one after a
   delay) on every operation: the status, `X-Localexa-Fault`, `X-Amzn-RequestId`, `Retry-After`,
   and the body in that API's own shape: README's table of shapes, the shape the API description
   documents for the operation and status, and the shape of the operation's own 401;
   and none of those calls changed anything (a snapshot before and after, the faults aside);
2. per operation, a fault with the operation's own method and path template and `count` 1: it
   answers that operation's first call and no other call, and the next call gets the normal answer;
3. a seeded `probability` fault with a delay-only fault: the n-th matching call fails exactly
   when the seed's n-th draw says so, and every call is delayed and counted;
4. `customer`, `skill` and `region` faults: each call is answered by the fault README's rules pick.

And, on SQLite, a fault counting a GET takes the write lock in turn, as the journal's lookups of
skill names no longer take it at all (each stalled the process for the 30 s busy timeout).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from localexa.server.observe.faults import FaultRule, FaultStore
from localexa.skill import capability, discovery_endpoint
from localexa.skill.reports import add_or_update_report
from tests.enablement.helpers import account_linking, link_body, new_code
from tests.enablement.token_server import ServerThread, TokenServer, build_app
from tests.factories import Admin, Customer, Skill
from tests.lwa.browser import Browser, authorize_url, form_for
from tests.observe.helpers import ADMIN, add_fault, faults, journal

FAULT_HEADER = "X-Localexa-Fault"
THREAD = "alexa::thread_network_credentials:read"
EVENTS = "alexa::async_event:write"
READWRITE = "alexa::ask:skills:readwrite"
LINKING = "alexa::skills:account_linking"
#: The control plane (README: never faulted), by path: not part of the enumeration.
CONTROL_PLANE = ("/_localexa/health", "/_localexa/ready", "/_localexa/journal", "/_localexa/faults")
CONTROL_PLANE_EXACT = ("/_localexa/reset", "/_localexa/snapshot", "/_localexa/restore")
#: What a fault may answer: a status of each class the APIs shape differently (SMAPI's
#: BadRequestError for 400 and 403; the evaluation API's for 400, 401, 403, 404 and 429; LWA's 401;
#: 429's Retry-After), and, after a delay, one no API names (shaped as the rest: 500, 503, ...).
#: Step 2 adds 503 on every operation.
KINDS: tuple[dict[str, int], ...] = (
    {"status": 400},
    {"status": 401},
    {"status": 429},
    {"status": 599, "delayMs": 40},
)
RETRY_AFTER = 7
#: README "Faults": a fault's answer never changes state; these change on their own or count it.
NOT_STATE = frozenset({"faults"})


@dataclass
class Op:
    method: str
    template: str
    #: The call: its client, concrete path, headers and httpx arguments (params, json, data).
    http: httpx.AsyncClient
    path: str
    headers: dict[str, str]
    kwargs: dict[str, Any]
    #: The answer once no fault acts (each operation is called once that way, in table order).
    normal: int
    #: README's `customer` and `skill` rules: the customer of the call's bearer token, and the skill
    #: named in its path or owning its token's client.
    customer: str | None = None
    skill: str | None = None
    own_401: dict[str, Any] | None = field(default=None, repr=False)
    #: The `WWW-Authenticate` of that 401, if any.
    own_challenge: str | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def authenticated(self) -> bool:
        return bool({"authorization", "x-localexa-admin-key"} & {h.lower() for h in self.headers})

    async def call(self, *, credentials: bool = True) -> httpx.Response:
        headers = self.headers if credentials else {}
        kwargs = self.kwargs
        if callable(kwargs.get("json")):
            kwargs = {**kwargs, "json": kwargs["json"]()}
        return await self.http.request(self.method, self.path, headers=headers, **kwargs)


# -- the shapes README names ----------------------------------------------------------------------


def _family(path: str) -> str:
    lowered = path.lower()
    if lowered.startswith("/ap/"):
        return "page"
    if lowered == "/auth/o2/token":
        return "lwa_token"
    if lowered.startswith(("/auth/o2/", "/user/profile")):
        return "lwa"
    if lowered.startswith(("/v1/users/", "/v1/alexaapiendpoint")):
        return "customer"
    if "/smarthome/testing/" in lowered:
        return "evaluation"
    if lowered.startswith("/v1/"):
        return "smapi"
    if lowered.startswith("/credentiallocker/"):
        return "credential_locker"
    if lowered.startswith("/v3/events"):
        return "events"
    assert lowered.startswith("/_localexa/"), path
    return "admin"


def assert_readme_shape(op: Op, answer: httpx.Response, status: int) -> None:
    """README "Faults" and the spec: the matched API's own error shape."""
    family = _family(op.template)
    where = (op.key, status, answer.text[:300])
    if family == "page":
        assert answer.headers["content-type"].startswith("text/html"), where
        return
    body = answer.json()
    if family in ("lwa", "lwa_token"):
        assert set(body) == {"error", "error_description"}, where
        assert answer.headers["cache-control"] == "no-store", where
        if status == 401:
            expected = "invalid_client" if family == "lwa_token" else "invalid_token"
            assert body["error"] == expected, where
            if family == "lwa_token":
                assert answer.headers["www-authenticate"].startswith("Basic"), where
    elif family in ("customer", "admin"):
        assert set(body) == {"message"}, where
    elif family == "smapi":
        # BadRequestError for 400 and 403, StandardizedError for the rest (spec §1.3).
        keys = {"code", "message", "violations"} if status in (400, 403) else {"code", "message"}
        assert set(body) == keys, where
    elif family == "evaluation":
        # BadRequestError for 400, 401, 403, 404 and 429; Error for the rest (spec §2).
        if status in (400, 401, 403, 404, 429):
            assert {"message", "violations"} <= set(body) <= {"code", "message", "violations"}, where
        else:
            assert set(body) == {"code", "message"}, where
    elif family == "credential_locker":
        assert set(body) == {"code", "message"}, where
        # The Locker's own codes for these statuses (core's CONFLICT and UNAUTHORIZED it never
        # sends: a client branching on `code` met codes of no real answer; review of 2026-12-07).
        own = {401: "INVALID_TOKEN", 409: "ALREADY_EXISTS"}.get(status)
        assert own is None or body["code"] == own, where
    else:  # events
        assert set(body) == {"header", "payload"}, where
        assert (body["header"]["namespace"], body["header"]["name"]) == ("System", "Exception"), where
        assert body["header"]["messageId"], where
        assert body["payload"]["code"].endswith("_EXCEPTION"), where
        assert body["payload"]["description"], where


def assert_documented_shape(doc: dict[str, Any], op: Op, answer: httpx.Response, status: int) -> None:
    """The body fits the schema the API description gives the operation for this status."""
    response = doc["paths"][op.template][op.method.lower()]["responses"].get(str(status))
    if response is None:
        return  # not a status the description lists for this operation
    content = response.get("content", {})
    if "text/html" in content:
        assert answer.headers["content-type"].startswith("text/html"), (op.key, status)
        return
    schema = content["application/json"]["schema"]
    resolved = {**schema, "components": doc["components"]}
    errors = [
        error.message for error in jsonschema_rs.Draft202012Validator(resolved).iter_errors(answer.json())
    ]
    if errors:
        pytest.fail(f"{op.key} {status}: {errors[0]}: {answer.text[:300]}")


def assert_like_own_401(op: Op, answer: httpx.Response) -> None:
    """A fault's 401 has the keys the operation's own 401 (no credentials) has, and its challenge:
    the same scheme and realm (RFC 6750 §3; the fault's may add `error="invalid_token"`)."""
    if op.own_401 is None:
        return
    assert _keys(answer.json()) == _keys(op.own_401), (op.key, answer.text, op.own_401)
    challenge = answer.headers.get("www-authenticate")
    assert (challenge is None) == (op.own_challenge is None), (op.key, challenge, op.own_challenge)
    if challenge is not None and op.own_challenge is not None:
        assert challenge.split(",")[0] == op.own_challenge.split(",")[0], (op.key, challenge)


def _keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _keys(v) for k, v in value.items() if k != "violations"} | (
            {"violations": True} if "violations" in value else {}
        )
    return None


# -- the world and one call of each operation -----------------------------------------------------


@pytest.fixture(scope="module")
def token_server() -> Iterator[TokenServer]:
    """The skill's account-linking token endpoint (a real one: a faulted link must not reach it)."""
    server = TokenServer(base_url="")
    thread = ServerThread(build_app(server))
    server.base_url = f"http://127.0.0.1:{thread.port}"
    thread.start()
    yield server
    thread.stop()


@dataclass
class World:
    dev: Customer
    skill: Skill
    customer: Customer
    dev_token: str
    customer_token: str
    locker_token: str
    event_token: str
    app_client: tuple[str, str]
    run_id: str
    consent: dict[str, str]
    browser: Browser
    #: The skill's account-linking configuration, without its client secret.
    linking: dict[str, Any]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _network() -> dict[str, Any]:
    return {
        "threadNetwork": {
            "extendedPanId": "dead00beef00cafe",
            "networkName": "Home",
            "networkKey": "00112233445566778899aabbccddeeff",
            "pskc": "445f2b5ca6f2a93a55ce570a70efeecb",
            "panId": "1234",
            "channelNumber": 15,
        }
    }


def _report(token: str) -> dict[str, Any]:
    light = discovery_endpoint(
        "light-1",
        "Kitchen",
        [capability("Alexa"), capability("Alexa.PowerController", ["powerState"])],
        description="A light",
        manufacturer_name="Acme",
        display_categories=["LIGHT"],
    )
    return add_or_update_report([light], token=token)


async def make_world(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> World:
    await app.state.evaluation_worker.stop()  # a run stays PENDING: nothing writes on its own
    dev = await admin.customer(name="Dev")
    linking = account_linking(token_server)
    skill = await admin.skill(dev, permissions=[THREAD, EVENTS], account_linking=linking)
    customer = await admin.customer(name="Cy")
    dev_token = await admin.access_token(dev.user_id, [READWRITE])
    customer_token = await admin.access_token(customer.user_id, ["profile", LINKING])
    locker_token = (await admin.tokens(skill.messaging_client_id, customer.user_id, [EVENTS]))["access_token"]
    event_token = (await admin.tokens(skill.messaging_client_id, dev.user_id, [EVENTS]))["access_token"]
    enabled = await client.put(
        f"/v1/skills/{skill.skill_id}/stages/development/enablement", headers=_auth(dev_token)
    )
    assert enabled.status_code == 204, enabled.text
    started = await client.post(
        f"/v1/skills/{skill.skill_id}/smartHome/testing/capabilityEvaluations",
        headers=_auth(dev_token),
        json={
            "capabilityTestPlan": {"id": "x"},
            "endpoint": {"endpointId": "kitchen"},
            "stage": "development",
        },
    )
    assert started.status_code == 200, started.text
    app_client = await admin.lwa_client()
    browser = Browser(app)
    page = await browser.get(authorize_url(app_client[0]))
    page = await browser.submit(page, "signin", fill={"email": customer.email, "password": customer.password})
    consent = dict(form_for(page.text, "consent").data(button="allow"))
    return World(
        dev,
        skill,
        customer,
        dev_token,
        customer_token,
        locker_token,
        event_token,
        app_client,
        started.json()["id"],
        consent,
        browser,
        {name: value for name, value in linking.items() if name != "clientSecret"},
    )


def operations(client: httpx.AsyncClient, w: World) -> list[Op]:
    """One valid call of every operation, in an order whose normal answers are fixed."""
    k, dev, cy = w.skill.skill_id, w.dev.user_id, w.customer.user_id
    smapi = f"/v1/skills/{k}/stages/development/enablement"
    mine = f"/v1/users/~current/skills/{k}/enablement"
    testing = f"/v1/skills/{k}/smartHome/testing"
    links = f"/_localexa/customers/{dev}/skills/{k}"
    locker = "/credentiallocker/v2/threadNetworks"
    dev_auth, cy_auth = _auth(w.dev_token), _auth(w.customer_token)
    client_credentials = {
        "grant_type": "client_credentials",
        "scope": "alexa:skill_messaging",
        "client_id": w.skill.messaging_client_id,
        "client_secret": w.skill.messaging_client_secret,
    }
    evaluation = {
        "capabilityTestPlan": {"id": "x"},
        "endpoint": {"endpointId": "porch"},
        "stage": "development",
    }
    directive = {
        "userId": dev,
        "skillId": k,
        "endpointId": "light-1",
        "namespace": "Alexa",
        "name": "ReportState",
    }

    def fresh_customer() -> dict[str, str]:
        return {
            "name": "N",
            "email": f"n-{secrets.token_hex(4)}@example.com",
            "password": "pw",
            "region": "NA",
        }

    def op(method: str, template: str, path: str, headers: dict[str, str], normal: int, **rest: Any) -> Op:
        who = {name: rest.pop(name) for name in ("customer", "skill") if name in rest}
        http = rest.pop("http", client)
        return Op(method, template, http, path, headers, rest, normal, **who)

    eval_run = "/v1/skills/{skill_id}/smartHome/testing/capabilityEvaluations/{evaluation_id}"
    linking_client = "/v1/skills/{skill_id}/stages/{stage}/accountLinkingClient"
    return [
        op("GET", "/ap/oa", authorize_url(w.app_client[0]), {}, 200, http=w.browser.http),
        op("POST", "/ap/oa", "/ap/oa", {}, 302, data=w.consent, http=w.browser.http),
        op("POST", "/auth/o2/token", "/auth/o2/token", {}, 200, data=client_credentials),
        op(
            "GET",
            "/auth/o2/tokeninfo",
            "/auth/o2/tokeninfo",
            {},
            200,
            params={"access_token": w.customer_token},
            customer=cy,
        ),
        op("GET", "/user/profile", "/user/profile", cy_auth, 200, customer=cy),
        op(
            "PUT",
            "/v1/skills/{skill_id}/stages/{stage}/enablement",
            smapi,
            dev_auth,
            204,
            customer=dev,
            skill=k,
        ),
        op(
            "GET",
            "/v1/skills/{skill_id}/stages/{stage}/enablement",
            smapi,
            dev_auth,
            204,
            customer=dev,
            skill=k,
        ),
        op("GET", "/v1/alexaApiEndpoint", "/v1/alexaApiEndpoint", cy_auth, 200, customer=cy),
        op(
            "POST",
            "/v1/users/~current/skills/{skill_id}/enablement",
            mine,
            cy_auth,
            201,
            json=lambda: link_body(new_code()),
            customer=cy,
            skill=k,
        ),
        op(
            "GET", "/v1/users/~current/skills/{skill_id}/enablement", mine, cy_auth, 200, customer=cy, skill=k
        ),
        op("PUT", locker, locker, _auth(w.locker_token), 200, json=_network(), customer=cy, skill=k),
        op(
            "GET",
            locker,
            locker,
            _auth(w.locker_token),
            200,
            params={"extendedPanId": "dead00beef00cafe"},
            customer=cy,
            skill=k,
        ),
        op(
            "GET",
            "/v1/skills/{skill_id}/credentials",
            f"/v1/skills/{k}/credentials",
            dev_auth,
            200,
            customer=dev,
            skill=k,
        ),
        op("GET", "/_localexa/customers", "/_localexa/customers", ADMIN, 200),
        op("POST", "/_localexa/customers", "/_localexa/customers", ADMIN, 201, json=fresh_customer),
        op("GET", "/_localexa/customers/{user_id}", f"/_localexa/customers/{cy}", ADMIN, 200),
        op("GET", "/_localexa/vendors", "/_localexa/vendors", ADMIN, 200),
        op(
            "POST",
            "/_localexa/vendors",
            "/_localexa/vendors",
            ADMIN,
            201,
            json={"name": "V", "ownerUserId": dev},
        ),
        op("GET", "/_localexa/lwa-clients", "/_localexa/lwa-clients", ADMIN, 200),
        op(
            "POST",
            "/_localexa/lwa-clients",
            "/_localexa/lwa-clients",
            ADMIN,
            201,
            json={"name": "A", "redirectUris": ["https://a.example/cb"]},
        ),
        op("GET", "/_localexa/skills", "/_localexa/skills", ADMIN, 200),
        op(
            "POST",
            "/_localexa/skills",
            "/_localexa/skills",
            ADMIN,
            201,
            json={**w.skill.body, "name": "Another"},
        ),
        op("GET", "/_localexa/skills/{skill_id}", f"/_localexa/skills/{k}", ADMIN, 200, skill=k),
        # Unknown ids: a fault answers them as any other, and without one they are 404s, so the
        # world the other operations use stays whole.
        op("DELETE", "/_localexa/customers/{user_id}", "/_localexa/customers/amzn1.account.GONE", ADMIN, 404),
        op("DELETE", "/_localexa/skills/{skill_id}", "/_localexa/skills/amzn1.ask.skill.gone", ADMIN, 404),
        op(
            "POST",
            "/_localexa/tokens",
            "/_localexa/tokens",
            ADMIN,
            201,
            json={"clientId": w.app_client[0], "userId": cy, "scopes": ["profile"]},
        ),
        op("GET", "/_localexa/clock", "/_localexa/clock", ADMIN, 200),
        op("POST", "/_localexa/clock", "/_localexa/clock", ADMIN, 200, json={"advanceSeconds": 1}),
        op(
            "GET",
            "/v1/skills/{skill_id}/smartHome/testing/capabilityTestPlans",
            f"{testing}/capabilityTestPlans",
            dev_auth,
            200,
            customer=dev,
            skill=k,
        ),
        op(
            "POST",
            "/v1/skills/{skill_id}/smartHome/testing/capabilityEvaluations",
            f"{testing}/capabilityEvaluations",
            dev_auth,
            200,
            json=evaluation,
            customer=dev,
            skill=k,
        ),
        op(
            "GET",
            "/v1/skills/{skill_id}/smartHome/testing/capabilityEvaluations",
            f"{testing}/capabilityEvaluations",
            dev_auth,
            200,
            params={"stage": "development"},
            customer=dev,
            skill=k,
        ),
        op(
            "GET",
            eval_run,
            f"{testing}/capabilityEvaluations/{w.run_id}",
            dev_auth,
            200,
            customer=dev,
            skill=k,
        ),
        op(
            "GET",
            eval_run + "/results",
            f"{testing}/capabilityEvaluations/{w.run_id}/results",
            dev_auth,
            200,
            customer=dev,
            skill=k,
        ),
        op("POST", "/_localexa/directives", "/_localexa/directives", ADMIN, 400, json=directive),
        op(
            "GET",
            "/_localexa/customers/{userId}/skills/{skillId}/endpoints",
            f"{links}/endpoints",
            ADMIN,
            200,
            skill=k,
        ),
        op(
            "GET",
            "/_localexa/customers/{userId}/skills/{skillId}/messages",
            f"{links}/messages",
            ADMIN,
            200,
            skill=k,
        ),
        op(
            "POST",
            "/_localexa/customers/{userId}/skills/{skillId}/discover",
            f"{links}/discover",
            ADMIN,
            400,
            skill=k,
        ),
        op(
            "POST",
            "/_localexa/customers/{userId}/skills/{skillId}/accept-grant",
            f"{links}/accept-grant",
            ADMIN,
            400,
            skill=k,
        ),
        op(
            "POST",
            "/v3/events",
            "/v3/events",
            _auth(w.event_token),
            202,
            json=_report(w.event_token),
            customer=dev,
            skill=k,
        ),
        op(
            "GET",
            linking_client,
            f"/v1/skills/{k}/stages/development/accountLinkingClient",
            dev_auth,
            200,
            customer=dev,
            skill=k,
        ),
        op(
            "PUT",
            linking_client,
            f"/v1/skills/{k}/stages/development/accountLinkingClient",
            dev_auth,
            204,
            # Without clientSecret the stored one is kept: the links above go on working.
            json={"accountLinkingRequest": w.linking},
            customer=dev,
            skill=k,
        ),
        # Last: they end what the calls above use.
        op(
            "DELETE",
            linking_client,
            f"/v1/skills/{k}/stages/development/accountLinkingClient",
            dev_auth,
            204,
            customer=dev,
            skill=k,
        ),
        op(
            "DELETE",
            "/v1/users/~current/skills/{skill_id}/enablement",
            mine,
            cy_auth,
            200,
            customer=cy,
            skill=k,
        ),
        op(
            "DELETE",
            "/v1/skills/{skill_id}/stages/{stage}/enablement",
            smapi,
            dev_auth,
            204,
            customer=dev,
            skill=k,
        ),
    ]


def _is_control_plane(path: str) -> bool:
    return path in CONTROL_PLANE_EXACT or path.startswith(CONTROL_PLANE)


async def _own_401s(ops: list[Op]) -> None:
    """Each authenticated operation's own 401: its call without the token or the admin key (a 401
    writes nothing)."""

    async def own_401(op: Op) -> None:
        answer = await op.call(credentials=False)
        assert answer.status_code == 401, (op.key, answer.text)
        op.own_401 = answer.json()
        op.own_challenge = answer.headers.get("www-authenticate")

    await asyncio.gather(*(own_401(op) for op in ops if op.authenticated))


async def _faulted(doc: dict[str, Any], op: Op, fault_id: str, kind: dict[str, int]) -> None:
    status = kind["status"]
    started = time.monotonic()
    answer = await op.call()
    elapsed = time.monotonic() - started
    assert answer.status_code == status, (op.key, answer.status_code, answer.text[:300])
    assert answer.headers[FAULT_HEADER] == fault_id, op.key
    assert answer.headers["X-Amzn-RequestId"], op.key
    # 413, 429 and 5xx carry the fault's retryAfter (the 503 and 599 did not before 2026-12-06);
    # a 429 given none says 1.
    given = kind.get("retryAfter")
    sent = status in (413, 429) or status >= 500
    expected = str(given) if given and sent else ("1" if status == 429 else None)
    assert answer.headers.get("Retry-After") == expected, op.key
    assert elapsed >= kind.get("delayMs", 0) / 1000, op.key
    assert_readme_shape(op, answer, status)
    assert_documented_shape(doc, op, answer, status)
    if status == 401:
        assert_like_own_401(op, answer)


async def _state(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    tables: dict[str, Any] = answer.json()["tables"]
    return {name: rows for name, rows in tables.items() if name not in NOT_STATE}


async def _delete_fault(client: httpx.AsyncClient, fault_id: str) -> None:
    assert (await client.delete(f"/_localexa/faults/{fault_id}", headers=ADMIN)).status_code == 204


async def test_every_operation_answers_every_fault_in_its_apis_shape(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    world = await make_world(app, client, admin, token_server)
    try:
        await _every_operation(app, client, world, token_server)
    finally:
        await world.browser.http.aclose()


async def _every_operation(
    app: FastAPI, client: httpx.AsyncClient, world: World, token_server: TokenServer
) -> None:
    doc = app.openapi()
    ops = operations(client, world)
    listed = {
        f"{method.upper()} {path}"
        for path, methods in doc["paths"].items()
        for method in methods
        if not _is_control_plane(path)
    }
    assert {op.key for op in ops} == listed  # a new operation needs its call here
    await _own_401s(ops)

    # 1. Every kind of answer on every operation, and nothing written by any of them.
    before = await _state(client)
    exchanges = len(token_server.requests)
    # The shapes are the same code on both databases: PostgreSQL, whose part is counting and
    # writing nothing, answers two of the kinds (a special shape and a delay), in the time budget.
    for kind in KINDS if app.state.engine.dialect.name == "sqlite" else (KINDS[1], KINDS[-1]):
        fault_id = await add_fault(client, path="/**", retryAfter=RETRY_AFTER, **kind)
        # At once: faulted calls change nothing, so their order does not matter.
        given = {**kind, "retryAfter": RETRY_AFTER}
        await asyncio.gather(*(_faulted(doc, op, fault_id, given) for op in ops))
        if kind is KINDS[1]:  # the control plane is never faulted, even by "/**"
            for path in (*CONTROL_PLANE, "/metrics", "/console/login"):
                answer = await client.get(path, headers=ADMIN)
                assert answer.status_code == 200, (path, answer.status_code)
                assert FAULT_HEADER not in answer.headers, path
        [listed_fault] = await faults(client)
        assert (listed_fault["matched"], listed_fault["fired"]) == (len(ops), len(ops))
        await _delete_fault(client, fault_id)
    assert await _state(client) == before  # no faulted call wrote anything
    assert len(token_server.requests) == exchanges  # nor called the skill's token endpoint

    # 2. Each operation's own fault, by its method and path template, answers its first call only.
    made = await asyncio.gather(
        *(add_fault(client, method=op.method, path=op.template, status=503, count=1) for op in ops)
    )
    own = {op.key: fault_id for op, fault_id in zip(ops, made, strict=True)}
    await asyncio.gather(*(_faulted(doc, op, own[op.key], {"status": 503}) for op in ops))
    for op in ops:
        normal = await op.call()
        assert FAULT_HEADER not in normal.headers, op.key
        assert normal.status_code == op.normal, (op.key, normal.text[:300])
    for listed_fault in await faults(client):  # retired: they stay listed, and match nothing more
        counts = (
            listed_fault["matched"],
            listed_fault["fired"],
            listed_fault["remaining"],
            listed_fault["active"],
        )
        assert counts == (1, 1, 0, False), listed_fault

    # 3. A seeded probability, and a delay-only fault that lets every call through.
    chance = await add_fault(client, path="/**", status=503, probability=0.5, seed=7)
    slow = await add_fault(client, path="/**", delayMs=1)
    rule = FaultRule.from_row(
        {"id": chance, "method": None, "path": "/**", "status": 503, "delay_ms": 0, "probability": 0.5}
        | {"count": None, "retry_after": None, "customer": None, "skill": None, "region": None, "seed": 7}
    )
    fired = [(await op.call()).headers.get(FAULT_HEADER) == chance for op in ops]
    assert fired == [rule.draws(n) for n in range(1, len(ops) + 1)]
    assert 0 < sum(fired) < len(ops)
    listing = {f["faultId"]: f for f in await faults(client)}
    assert (listing[chance]["matched"], listing[chance]["fired"]) == (len(ops), sum(fired))
    assert (listing[slow]["matched"], listing[slow]["fired"]) == (len(ops), len(ops))
    for fault_id in (chance, slow):
        await _delete_fault(client, fault_id)

    # 4. Who and where: the oldest matching fault with a status answers.
    by_customer = await add_fault(client, path="/**", status=503, customer=world.customer.user_id)
    by_skill = await add_fault(client, path="/**", status=500, skill=world.skill.skill_id)
    by_region = await add_fault(client, path="/**", status=504, region="EU")
    answers = await asyncio.gather(*(op.call() for op in ops))  # the fault that answers: in any order
    for op, answer in zip(ops, answers, strict=True):
        expected = (
            by_customer
            if op.customer == world.customer.user_id
            else by_skill
            if op.skill == world.skill.skill_id
            else None
        )
        assert answer.headers.get(FAULT_HEADER) == expected, (op.key, answer.status_code, answer.text[:200])
    listing = {f["faultId"]: f for f in await faults(client)}
    assert listing[by_customer]["matched"] == sum(op.customer == world.customer.user_id for op in ops)
    assert listing[by_skill]["matched"] == sum(op.skill == world.skill.skill_id for op in ops)
    assert listing[by_region]["matched"] == 0


# -- a fault counts a GET as a writer: SQLite's write lock, taken in turn -------------------------


async def test_a_fault_on_a_get_takes_its_turn_behind_the_processs_other_writer(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GET's transactions only read, so on SQLite they begin without the write lock; a fault
    counting a GET wrote all the same and waited for the lock in SQLite's busy handler, on the
    event loop's thread. With another transaction of the process holding the lock (the journal
    writer's, any POST's), the process stood still for the 30 s busy timeout and the call then went
    through unfaulted. Now the fault waits its turn like any writer, and answers."""
    fault_id = await add_fault(client, method="GET", path="/_localexa/customers", status=503)
    store: FaultStore = app.state.faults
    counting = asyncio.Event()
    fire = store.fire

    async def fire_noted(rule: FaultRule) -> bool:
        counting.set()
        return await fire(rule)

    monkeypatch.setattr(store, "fire", fire_noted)
    async with app.state.engine.begin() as other:  # a write transaction of this process, under way
        await other.execute(text("UPDATE clock_state SET offset_seconds = offset_seconds"))
        call = asyncio.create_task(client.get("/_localexa/customers", headers=ADMIN))
        await counting.wait()  # the GET counts its fault while the other transaction holds the lock
    answer = await asyncio.wait_for(call, 10)
    assert answer.status_code == 503, answer.text
    assert answer.headers[FAULT_HEADER] == fault_id


async def test_the_journal_names_a_calls_skill_without_the_states_write_lock(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    """The journal writer looks up the skill of a messaging client's call in the state's database;
    on SQLite it did so in a write transaction, so it queued behind (and held up) every writer of
    the process. A lookup only reads: it goes on while another transaction holds the write lock."""
    skill = await admin.skill(permissions=[EVENTS])
    customer = await admin.customer()
    token = (await admin.tokens(skill.messaging_client_id, customer.user_id, [EVENTS]))["access_token"]
    async with app.state.engine.begin() as other:  # a write transaction of this process, under way
        await other.execute(text("UPDATE clock_state SET offset_seconds = offset_seconds"))
        answer = await client.get("/v1/alexaApiEndpoint", headers=_auth(token))
        await asyncio.wait_for(app.state.journal.flush(), 5)  # waited for the lock: 10 s, then gave up
    [entry] = await journal(client, requestId=answer.headers["X-Amzn-RequestId"])
    assert entry["skill"] == skill.skill_id
