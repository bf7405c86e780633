"""Soak: a long-running `localexa serve` under a realistic mixed workload leaks nothing.

    .venv/bin/python -m bench.soak --seconds 300
    .venv/bin/python -m bench.soak --seconds 300 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/soak --redis-url redis://127.0.0.1:6379/12

Starts `localexa serve` (bench/servers.py) and, on 127.0.0.1 in this process, a skill host: the
My Lights sample (its OAuth server is the skills' account-linking token URL, its `/skill` the
skill endpoint) behind a `/skill` that answers some directives slowly, with an HTTP 500, with
broken JSON or not in time, and a token URL that answers too late. Then it loops rounds of a mix
(`Workload.round`), several customers at once:

- LWA authorization-code sign-ins through the `/ap/oa` pages with PKCE (every other one posts
  its sign-in as multipart/form-data with a file part), refresh and client_credentials grants,
  tokeninfo and profile;
- enable-and-link with app-to-app linking, so the after-link Discover and AcceptGrant run (My
  Lights exchanges the grant code at LWA), then disable; links whose token URL refuses (a new
  port each round) or answers too late;
- directives answered, slow, erroring, broken and timing out, to an HTTP skill and to a
  `python:` Lambda-style skill (My Lights' handler in worker processes, forwarding to the skill
  host), a caller that gives up before the answer, and a skill with a new `python:` handler of
  its own each round;
- events to the gateway (good, invalid, bad token), Credential Locker PUTs and paged lists;
- a burst of authenticated GETs at once (the pools' peak);
- a capability evaluation run to its end; faults created, hit and deleted; console sign-in,
  pages and sign-out; journal reads; every third round a snapshot and restore, every sixth a
  reset (the next round seeds its world again).

From outside the process, at every round's end, it samples (`Probe`, bench/process_probe.py): resident memory
(`/proc/<pid>/status`), open file descriptors by kind, threads, child processes (Lambda workers),
the process's TCP sockets by state (`/proc/<pid>/net/tcp*` by the inodes of its fds), SQLite
files held open, temp files (the server gets a TMPDIR of its own), PostgreSQL backends of its
database (`pg_stat_activity`), Redis clients of its database (`CLIENT LIST`), the number of
series on `/metrics` and the in-process gauges `/metrics` shows (`localexa_in_memory_entries`,
asyncio tasks, pooled connections, Lambda workers). The table compares the first sample after
the warm-up rounds with the last, per 1,000 requests localexa answered
(`localexa_http_requests_total`), with the highest value seen in between.

tests/scale/test_no_leaks.py runs the same rounds for a few seconds and asserts that nothing
grows (README "Performance, scale and crash safety").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import secrets
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bench import servers
from bench.process_probe import Probe, Sample
from localexa.samples.mylights import DeviceCloud, MyLightsConfig, create_mylights_app
from localexa.samples.mylights.skill import build_skill

ADMIN_KEY = servers.ADMIN_KEY
MYLIGHTS_CLIENT = "alexa-skill"
MYLIGHTS_SECRET = "mylights-secret"
LINK_REDIRECT = "https://app.example.com/alexa"
APP_REDIRECT = "https://app.example.com/cb"
LAMBDA_ENDPOINT = "python:localexa.samples.mylights.lambda_handler:handler"
POWER_PLAN = "f51fae98-1553-532e-8a89-6843ac26b55a"  # PowerController, 4 test cases
THREAD_PERMISSION = "alexa::thread_network_credentials:read"
EVENTS_PERMISSION = "alexa::async_event:write"
ACCOUNT_LINKING = "alexa::skills:account_linking"
READWRITE = "alexa::ask:skills:readwrite"

#: Seconds: the server's directive deadline and the skill host's slow and hanging answers.
DIRECTIVE_TIMEOUT = 1.0
SLOW_SECONDS = 0.2
HANG_SECONDS = DIRECTIVE_TIMEOUT + 1.5


# -- the skill host: My Lights with misbehaving corners -------------------------------------------


def skill_host_app(cloud: DeviceCloud, *, close_connections: bool = False) -> Any:
    """My Lights (OAuth server, lights, skill) with a `/skill` whose answer depends on the
    directive's endpointId: `slow` (late but fine), `broken` (HTTP 500), `garbage` (not JSON),
    `hang` (after localexa's deadline); and `/slow-token`, a token URL that answers too late."""
    skill = build_skill(cloud)

    async def skill_endpoint(request: Request) -> Response:
        try:
            event = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"message": "send a directive as JSON"}, 400)
        endpoint = (event.get("directive") or {}).get("endpoint") or {}
        behaviour = endpoint.get("endpointId")
        if behaviour == "broken":
            return Response("the device cloud fell over", 500, media_type="text/plain")
        if behaviour == "garbage":
            return Response(b'{"event": ', 200, media_type="application/json")
        if behaviour == "hang":
            await asyncio.sleep(HANG_SECONDS)
            return JSONResponse({})
        if behaviour == "slow":
            await asyncio.sleep(SLOW_SECONDS)
            endpoint["endpointId"] = "kitchen"
        return JSONResponse(await skill.handle(event))

    async def slow_token(request: Request) -> Response:
        await asyncio.sleep(HANG_SECONDS)
        return JSONResponse({"error": "too_late"}, 400)

    app = Starlette(
        routes=[
            Route("/skill", skill_endpoint, methods=["POST"]),
            Route("/slow-token", slow_token, methods=["POST"]),
            Mount("", app=create_mylights_app(cloud=cloud)),
        ]
    )
    return _closing(app) if close_connections else app


def _closing(app: Any) -> Any:
    """`app` answering with `Connection: close`, so the caller's connection ends with the answer."""

    async def closing(scope: Any, receive: Any, send: Any) -> None:
        async def send_closing(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_closing)

    return closing


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """`app` on a free port of 127.0.0.1 under uvicorn in a daemon thread; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_level="error", lifespan="off", access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the skill host did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def closed_port() -> int:
    """A port nothing listens on (a token URL that refuses connections)."""
    return servers.free_port()


#: A `python:` handler written anew each round: Discover finds nothing, anything else is refused.
FRESH_HANDLER = """
import uuid


def handler(event, context):
    header = event["directive"]["header"]
    if header["name"] == "Discover":
        return {"event": {"header": {"namespace": "Alexa.Discovery", "name": "Discover.Response",
                "payloadVersion": "3", "messageId": str(uuid.uuid4())}, "payload": {"endpoints": []}}}
    raise ValueError("this soak handler only discovers")
"""


# -- the workload ---------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of an /ap/oa or console page: their inputs (hidden and typed) with values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        elif tag == "input" and self.forms and "name" in values:
            self.forms[-1][values["name"]] = values.get("value", "")


def form_with(html: str, **wanted: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if all(form.get(k) == v for k, v in wanted.items()):
            return form
    raise AssertionError(f"no form {wanted} in {html[:300]}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Mix:
    """How much of what a round does (the soak's defaults; the leak test asks for more churn)."""

    #: Customers living their life concurrently (`Workload.one_customer`), each with an app of its own.
    customers: int = 3
    #: Skills with a new `python:` handler module, linked once (a worker each).
    fresh_lambdas: int = 1
    #: Links whose token URL refuses, each on a new port (a new outbound host).
    refused_links: int = 1
    #: Authenticated GETs sent all at once (a test suite's parallel workers): the pools' peak.
    burst: int = 100
    #: Every this many rounds a snapshot and restore, and a reset (0: never).
    snapshot_every: int = 3
    reset_every: int = 6


@dataclass
class World:
    """What a round needs, made through the admin API (again after a reset)."""

    app_id: str
    app_secret: str
    developer_id: str
    developer_token: str
    http_skill: str
    http_messaging: str
    lambda_skill: str


class Workload:
    """Rounds of the mix against one server. `statuses` counts every answer by operation."""

    def __init__(
        self, base_url: str, skill_host: str, cloud: DeviceCloud, *, handlers: Path, mix: Mix
    ) -> None:
        self.base_url = base_url
        self.skill_host = skill_host
        self.cloud = cloud
        #: A folder on the server's PYTHONPATH: each round writes `python:` handlers of its own here.
        self.handlers = handlers
        self.mix = mix
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.rounds = 0
        self.world: World | None = None
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def drop_connections(self) -> None:
        """Close this caller's keep-alive connections to the server (before `Probe.settle`)."""
        await self.http.aclose()
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=30)

    # helpers ------------------------------------------------------------------------------------
    async def call(self, op: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.request(method, path, **kwargs)
        if "x-localexa-fault" in response.headers:
            op = f"{op} (injected fault)"
        self.statuses[(op, response.status_code)] += 1
        return response

    async def admin(self, path: str, body: Any, *, method: str = "POST") -> Any:
        response = await self.call(
            "admin " + path.split("/")[0],
            method,
            f"/_localexa/{path}",
            json=body,
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )
        if response.status_code >= 300:
            raise RuntimeError(f"admin {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def customer(self, name: str, password: str = "pw") -> tuple[str, str]:
        email = f"{name}-{secrets.token_hex(5)}@example.com"
        made = await self.admin(
            "customers", {"name": name, "email": email, "password": password, "region": "NA"}
        )
        return made["userId"], email

    async def token(self, client_id: str, user_id: str, scopes: list[str]) -> dict[str, Any]:
        tokens: dict[str, Any] = await self.admin(
            "tokens", {"clientId": client_id, "userId": user_id, "scopes": scopes}
        )
        return tokens

    def linking(self, token_url: str | None = None) -> dict[str, Any]:
        return {
            "type": "AUTH_CODE",
            "authorizationUrl": f"{self.skill_host}/authorize",
            "accessTokenUrl": token_url or f"{self.skill_host}/token",
            "clientId": MYLIGHTS_CLIENT,
            "clientSecret": MYLIGHTS_SECRET,
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["lights"],
            "redirectUrls": [LINK_REDIRECT],
        }

    async def skill(
        self, vendor: str, endpoint: str, permissions: list[str], token_url: str | None = None
    ) -> dict[str, Any]:
        body = {
            "vendorId": vendor,
            "name": "Soak",
            "endpoint": endpoint,
            "permissions": permissions,
            "accountLinking": self.linking(token_url),
        }
        made: dict[str, Any] = await self.admin("skills", body)
        return made

    # the world ----------------------------------------------------------------------------------
    async def seed(self) -> World:
        developer, _ = await self.customer("Dev")
        vendor = (await self.admin("vendors", {"name": "Soak", "ownerUserId": developer}))["vendorId"]
        http_skill = await self.skill(
            vendor, f"{self.skill_host}/skill", [EVENTS_PERMISSION, THREAD_PERMISSION]
        )
        lambda_skill = await self.skill(vendor, LAMBDA_ENDPOINT, [])
        messaging = http_skill["skillMessagingCredentials"]
        # My Lights exchanges AcceptGrant codes with the skill's messaging credentials.
        self.cloud.set_alexa_credentials(messaging["clientId"], messaging["clientSecret"])
        app = await self.admin("lwa-clients", {"name": "Soak app", "redirectUris": [APP_REDIRECT]})
        developer_token = (await self.token(app["clientId"], developer, [READWRITE, ACCOUNT_LINKING]))[
            "access_token"
        ]
        world = World(
            app_id=app["clientId"],
            app_secret=app["clientSecret"],
            developer_id=developer,
            developer_token=developer_token,
            http_skill=http_skill["skillId"],
            http_messaging=messaging["clientId"],
            lambda_skill=lambda_skill["skillId"],
        )
        # The developer's own account is linked: evaluations run against it.
        await self.link(world.http_skill, developer_token, op="link developer")
        await self.wait_follow_up(developer, world.http_skill)
        return world

    # operations ---------------------------------------------------------------------------------
    async def sign_in_with_amazon(
        self, app: dict[str, str], email: str, password: str, *, multipart: bool = False
    ) -> dict[str, Any]:
        """/ap/oa through its pages (sign-in, consent) with PKCE, then the code at /auth/o2/token."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params = {
            "client_id": app["clientId"],
            "scope": f"profile {ACCOUNT_LINKING}",
            "response_type": "code",
            "redirect_uri": APP_REDIRECT,
            "state": secrets.token_hex(4),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as browser:
            page = await browser.get("/ap/oa", params=params)
            self.statuses[("ap/oa page", page.status_code)] += 1
            signin = form_with(page.text, action="signin")
            signin.update(email=email, password=password)
            if multipart:
                # As `curl -F` sends it, with a file part the form reader must let go of.
                parts: dict[str, Any] = {name: (None, value) for name, value in signin.items()}
                parts["attachment"] = ("notes.txt", b"x" * 200_000, "text/plain")
                page = await browser.post("/ap/oa", files=parts)
            else:
                page = await browser.post("/ap/oa", data=signin)
            self.statuses[("ap/oa sign-in", page.status_code)] += 1
            consent = form_with(page.text, action="consent")
            consent["decision"] = "allow"
            answer = await browser.post("/ap/oa", data=consent)
            self.statuses[("ap/oa consent", answer.status_code)] += 1
        code = dict(parse_qsl(urlsplit(answer.headers["location"]).query))["code"]
        exchanged = await self.call(
            "token authorization_code",
            "POST",
            "/auth/o2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": APP_REDIRECT,
                "code_verifier": verifier,
            },
            auth=(app["clientId"], app["clientSecret"]),
        )
        tokens: dict[str, Any] = exchanged.json()
        return tokens

    async def link(
        self, skill_id: str, token: str, *, op: str = "enable and link", code: str | None = None
    ) -> int:
        code = code or self.cloud.oauth.issue_code("demo", MYLIGHTS_CLIENT, LINK_REDIRECT, "lights")
        response = await self.call(
            op,
            "POST",
            f"/v1/users/~current/skills/{skill_id}/enablement",
            headers=bearer(token),
            json={
                "stage": "development",
                "accountLinkRequest": {"type": "AUTH_CODE", "authCode": code, "redirectUri": LINK_REDIRECT},
            },
        )
        return response.status_code

    async def wait_follow_up(self, user_id: str, skill_id: str) -> None:
        await self.call(
            "follow-up wait",
            "GET",
            f"/_localexa/customers/{user_id}/skills/{skill_id}/endpoints",
            params={"waitSeconds": 10},
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )

    async def directive(self, user_id: str, skill_id: str, endpoint_id: str, name: str = "TurnOn") -> None:
        namespace = "Alexa" if name == "ReportState" else "Alexa.PowerController"
        await self.call(
            f"directive {endpoint_id}",
            "POST",
            "/_localexa/directives",
            json={
                "userId": user_id,
                "skillId": skill_id,
                "endpointId": endpoint_id,
                "namespace": namespace,
                "name": name,
            },
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )

    async def one_customer(self, world: World, index: int) -> None:
        """A customer's life: sign in with Amazon, refresh, link both skills, directives of every
        kind, events, Thread networks, then disable one skill."""
        password = "correct horse"
        user_id, email = await self.customer(f"Cust{index}", password)
        app = await self.admin("lwa-clients", {"name": f"App {index}", "redirectUris": [APP_REDIRECT]})
        tokens = await self.sign_in_with_amazon(app, email, password, multipart=index % 2 == 1)
        access, refresh = tokens["access_token"], tokens["refresh_token"]
        refreshed = await self.call(
            "token refresh_token",
            "POST",
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": app["clientId"],
                "client_secret": app["clientSecret"],
            },
        )
        access = refreshed.json().get("access_token", access)
        await asyncio.gather(
            self.call("tokeninfo", "GET", "/auth/o2/tokeninfo", headers=bearer(access)),
            self.call("profile", "GET", "/user/profile", headers=bearer(access)),
            self.call("alexaApiEndpoint", "GET", "/v1/alexaApiEndpoint", headers=bearer(access)),
            self.link(world.http_skill, access),
            self.link(world.lambda_skill, access),
        )
        await asyncio.gather(
            self.wait_follow_up(user_id, world.http_skill), self.wait_follow_up(user_id, world.lambda_skill)
        )
        await self.call(
            "enablement status",
            "GET",
            f"/v1/users/~current/skills/{world.http_skill}/enablement",
            headers=bearer(access),
        )
        # Directives: each kind of answer, to the HTTP skill and to the Lambda-style one.
        sends = [
            self.directive(user_id, skill, endpoint, name)
            for skill in (world.http_skill, world.lambda_skill)
            for endpoint, name in (
                ("kitchen", "TurnOn"),
                ("kitchen", "ReportState"),
                ("slow", "TurnOn"),
                ("broken", "TurnOn"),
                ("garbage", "TurnOn"),
                ("hang", "TurnOn"),
                ("nowhere", "TurnOn"),
            )
        ]
        if index == 0:
            # Beside the directives that time out, so the server is done with it when they are.
            sends.append(self.abandoned(world, user_id))
        await asyncio.gather(*sends, self.events(world, user_id), self.networks(world, user_id, index))
        await self.call(
            "messages",
            "GET",
            f"/_localexa/customers/{user_id}/skills/{world.http_skill}/messages",
            params={"maxResults": 20},
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )
        # Disable one link now and then, so the next round's relinks are first links again.
        if index % 2 == 0:
            await self.call(
                "disable",
                "DELETE",
                f"/v1/users/~current/skills/{world.lambda_skill}/enablement",
                headers=bearer(access),
            )

    async def events(self, world: World, user_id: str) -> None:
        token = (await self.token(world.http_messaging, user_id, [EVENTS_PERMISSION]))["access_token"]
        event = {
            "event": {
                "header": {
                    "namespace": "Alexa",
                    "name": "ChangeReport",
                    "payloadVersion": "3",
                    "messageId": secrets.token_hex(8),
                },
                "endpoint": {"scope": {"type": "BearerToken", "token": token}, "endpointId": "kitchen"},
                "payload": {
                    "change": {
                        "cause": {"type": "PHYSICAL_INTERACTION"},
                        "properties": [
                            {
                                "namespace": "Alexa.PowerController",
                                "name": "powerState",
                                "value": "OFF",
                                "timeOfSample": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                "uncertaintyInMilliseconds": 0,
                            }
                        ],
                    }
                },
            },
            "context": {"properties": []},
        }
        await self.call("event ChangeReport", "POST", "/v3/events", json=event, headers=bearer(token))
        await self.call("event invalid", "POST", "/v3/events", json={"event": {}}, headers=bearer(token))
        await self.call("event bad token", "POST", "/v3/events", json=event, headers=bearer("Atza|nope"))

    async def networks(self, world: World, user_id: str, index: int) -> None:
        token = (await self.token(world.http_messaging, user_id, [EVENTS_PERMISSION]))["access_token"]
        pan = f"{index:04x}beef{secrets.token_hex(4)}"
        for n in range(5):
            network = {
                "extendedPanId": pan,
                "networkName": f"Home {n}",
                "networkKey": secrets.token_hex(16),
                "channelNumber": 15,
            }
            await self.call(
                "locker PUT",
                "PUT",
                "/credentiallocker/v2/threadNetworks",
                json={"threadNetwork": network},
                headers=bearer(token),
            )
        params: dict[str, Any] = {"extendedPanId": pan, "maxResults": 2}
        while True:
            page = await self.call(
                "locker list",
                "GET",
                "/credentiallocker/v2/threadNetworks",
                params=params,
                headers=bearer(token),
            )
            next_token = page.json().get("nextToken") if page.status_code == 200 else None
            if not next_token:
                break
            params["nextToken"] = next_token

    async def linking_failures(self, world: World, refused: int) -> None:
        """Links whose token URL refuses (each on a new port: a new host for the metrics) and one
        whose token URL answers too late."""
        user_id, _ = await self.customer("Failing")
        token = (await self.token(world.app_id, user_id, [ACCOUNT_LINKING]))["access_token"]
        vendor = (await self.admin("vendors", {"name": "Failing", "ownerUserId": user_id}))["vendorId"]
        urls = [f"http://127.0.0.1:{closed_port()}/token" for _ in range(refused)]

        async def link_to(url: str) -> None:
            made = await self.skill(vendor, f"{self.skill_host}/skill", [], token_url=url)
            await self.link(made["skillId"], token, op="link, failing token URL")

        await asyncio.gather(*(link_to(url) for url in [*urls, f"{self.skill_host}/slow-token"]))

    async def fresh_lambda(self, world: World) -> None:
        """A skill whose `python:` handler is new (a team's new skill, a test's handler in a temp
        folder): linking it runs Discover in a worker of its own."""
        name = f"soak_lambda_{self.rounds}_{secrets.token_hex(3)}"
        (self.handlers / f"{name}.py").write_text(FRESH_HANDLER)
        vendor = (await self.admin("vendors", {"name": "Lambda", "ownerUserId": world.developer_id}))[
            "vendorId"
        ]
        made = await self.skill(vendor, f"python:{name}:handler", [])
        await self.link(made["skillId"], world.developer_token, op="link, new python: handler")
        await self.wait_follow_up(world.developer_id, made["skillId"])

    async def abandoned(self, world: World, user_id: str) -> None:
        """A caller that gives up before the answer (a directive to a skill that does not answer
        in time)."""
        body = {
            "userId": user_id,
            "skillId": world.http_skill,
            "endpointId": "hang",
            "namespace": "Alexa.PowerController",
            "name": "TurnOn",
        }
        try:
            answer = await self.http.post(
                "/_localexa/directives", json=body, headers={"X-Localexa-Admin-Key": ADMIN_KEY}, timeout=0.3
            )
        except httpx.TimeoutException:
            self.statuses[("abandoned directive", 0)] += 1
        else:
            self.statuses[("abandoned directive (answered in time)", answer.status_code)] += 1

    async def burst(self, world: World, calls: int) -> None:
        """`calls` authenticated GETs at once, each on a connection of its own."""
        path = f"/v1/skills/{world.http_skill}/stages/development/enablement"
        limits = httpx.Limits(max_connections=calls, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60, limits=limits) as http:
            answers = await asyncio.gather(
                *(http.get(path, headers=bearer(world.developer_token)) for _ in range(calls))
            )
        for answer in answers:
            self.statuses[("burst GET", answer.status_code)] += 1

    async def developer_calls(self, world: World) -> None:
        headers = bearer(world.developer_token)
        base = f"/v1/skills/{world.http_skill}"
        await self.call(
            "smapi enablement GET", "GET", f"{base}/stages/development/enablement", headers=headers
        )
        await self.call("skill credentials", "GET", f"{base}/credentials", headers=headers)
        testing = f"{base}/smartHome/testing"
        await self.call("test plans", "GET", f"{testing}/capabilityTestPlans", headers=headers)
        started = await self.call(
            "evaluation start",
            "POST",
            f"{testing}/capabilityEvaluations",
            json={
                "capabilityTestPlan": {"id": POWER_PLAN},
                "endpoint": {"endpointId": "kitchen"},
                "stage": "development",
            },
            headers=headers,
        )
        if started.status_code == 200:
            run = started.json()["id"]
            for _ in range(200):
                status = await self.call(
                    "evaluation GET", "GET", f"{testing}/capabilityEvaluations/{run}", headers=headers
                )
                if status.status_code != 200 or status.json().get("status") != "IN_PROGRESS":
                    break
                await asyncio.sleep(0.05)
            await self.call(
                "evaluation results", "GET", f"{testing}/capabilityEvaluations/{run}/results", headers=headers
            )
        await self.call(
            "evaluations list",
            "GET",
            f"{testing}/capabilityEvaluations",
            params={"stage": "development"},
            headers=headers,
        )
        # client_credentials for the messaging client (skill messaging).
        messaging = await self.call("skill credentials", "GET", f"{base}/credentials", headers=headers)
        if messaging.status_code == 200:
            creds = messaging.json()["skillMessagingCredentials"]
            await self.call(
                "token client_credentials",
                "POST",
                "/auth/o2/token",
                data={
                    "grant_type": "client_credentials",
                    "scope": "alexa:skill_messaging",
                    "client_id": creds["clientId"],
                    "client_secret": creds["clientSecret"],
                },
            )

    async def faults(self) -> None:
        headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
        made = await self.admin(
            "faults", {"method": "GET", "path": "/v1/alexaApiEndpoint", "status": 503, "count": 2}
        )
        slow = await self.admin(
            "faults", {"path": "/auth/o2/tokeninfo", "delayMs": 50, "probability": 0.5, "seed": 7}
        )
        for _ in range(3):
            await self.call("faulted GET", "GET", "/v1/alexaApiEndpoint", headers=bearer("Atza|nope"))
            await self.call("delayed GET", "GET", "/auth/o2/tokeninfo", headers=bearer("Atza|nope"))
        await self.call("faults list", "GET", "/_localexa/faults", headers=headers)
        for fault in (made, slow):
            await self.call(
                "fault delete", "DELETE", f"/_localexa/faults/{fault['faultId']}", headers=headers
            )

    async def console(self) -> None:
        """Sign in with the admin key, read pages (the journal's rows too), sign out."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as browser:
            login = await browser.get("/console/login")
            self.statuses[("console login page", login.status_code)] += 1
            form = form_with(login.text)
            form["admin_key"] = ADMIN_KEY
            signed = await browser.post("/console/login", data=form)
            self.statuses[("console sign-in", signed.status_code)] += 1
            page = login
            for path in (
                "/console",
                "/console/journal",
                "/console/journal/rows",
                "/console/skills",
                "/console/enablements",
                "/console/faults",
                "/console/static/console.css",
            ):
                page = await browser.get(path)
                self.statuses[("console page", page.status_code)] += 1
            page = await browser.get("/console/customers")
            self.statuses[("console page", page.status_code)] += 1
            signout = form_with(page.text)  # the sign-out form of every page (base.html)
            out = await browser.post("/console/logout", data=signout)
            self.statuses[("console sign-out", out.status_code)] += 1

    async def journal(self) -> None:
        headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
        page = await self.call("journal", "GET", "/_localexa/journal", params={"limit": 50}, headers=headers)
        cursor = page.json().get("nextCursor") if page.status_code == 200 else None
        if cursor:
            await self.call(
                "journal",
                "GET",
                "/_localexa/journal",
                params={"limit": 50, "cursor": cursor},
                headers=headers,
            )

    async def snapshot_and_restore(self) -> None:
        headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
        snapshot = await self.call("snapshot", "POST", "/_localexa/snapshot", headers=headers)
        if snapshot.status_code == 200:
            await self.call(
                "restore",
                "POST",
                "/_localexa/restore",
                content=snapshot.content,
                headers={**headers, "Content-Type": "application/json"},
            )

    async def reset(self) -> None:
        await self.call("reset", "POST", "/_localexa/reset", headers={"X-Localexa-Admin-Key": ADMIN_KEY})
        self.world = None

    async def round(self) -> None:
        """One round of the mix (module docstring); the customers run concurrently."""
        self.rounds += 1
        if self.world is None:
            self.world = await self.seed()
        world, mix = self.world, self.mix
        await asyncio.gather(
            *(self.one_customer(world, i) for i in range(mix.customers)),
            self.linking_failures(world, mix.refused_links),
            self.developer_calls(world),
            self.faults(),
            self.console(),
            self.burst(world, mix.burst),
        )
        # Last, so that the workers idle at the round's end are these and the ones before them.
        await asyncio.gather(*(self.fresh_lambda(world) for _ in range(mix.fresh_lambdas)))
        await self.journal()
        if mix.snapshot_every and self.rounds % mix.snapshot_every == 0:
            await self.snapshot_and_restore()
        if mix.reset_every and self.rounds % mix.reset_every == 0:
            await self.reset()

    def failures(self) -> dict[str, int]:
        """Answers that say the server broke (5xx other than injected faults')."""
        return {
            f"{op} {status}": n
            for (op, status), n in self.statuses.items()
            if status >= 500 and not op.endswith("(injected fault)")
        }


# -- running it -----------------------------------------------------------------------------------


@dataclass
class Soak:
    """A served process, the skill host and the workload, ready to run rounds and sample."""

    server: servers.Child
    probe: Probe
    workload: Workload


def server_environment(
    skill_host: str, tmp_dir: Path, handlers: Path, *, password_n: int | None = None
) -> dict[str, str]:
    env = {
        # Lambda-style workers get the server's import path: the soak's own handlers are here.
        "PYTHONPATH": os.pathsep.join(p for p in (str(handlers), os.environ.get("PYTHONPATH")) if p),
        # The Lambda-style handler (My Lights') hands each directive to the skill host's /skill.
        "MYLIGHTS_URL": skill_host,
        "LOCALEXA_DIRECTIVE_TIMEOUT": str(DIRECTIVE_TIMEOUT),
        "LOCALEXA_TOKEN_EXCHANGE_TIMEOUT": str(DIRECTIVE_TIMEOUT),
        # Temp files the process makes land here, where the probe counts them.
        "TMPDIR": str(tmp_dir),
        # Snapshots of a few rounds' state are over the default 1 MiB a restore may send.
        "LOCALEXA_MAX_BODY_BYTES": str(32 * 1024 * 1024),
    }
    if password_n:
        env["LOCALEXA_PASSWORD_HASH_N"] = str(password_n)
    return env


@contextlib.contextmanager
def soak_server(
    root: Path,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    mix: Mix | None = None,
    password_n: int | None = None,
    close_connections: bool = False,
) -> Iterator[Soak]:
    """The skill host (in a thread of this process) and `localexa serve` beside it.

    `close_connections`: the skill host closes every connection after its answer, so no
    keep-alive connection of the server's outbound pool is left open when it is sampled."""
    tmp_dir, handlers = root / "server-tmp", root / "handlers"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    handlers.mkdir(parents=True, exist_ok=True)
    config = MyLightsConfig(
        client_id=MYLIGHTS_CLIENT, client_secret=MYLIGHTS_SECRET, send_change_reports=False
    )
    cloud = DeviceCloud(config)
    with serve_in_thread(skill_host_app(cloud, close_connections=close_connections)) as skill_host:
        server = servers.localexa(root / "data", database_url=database_url, redis_url=redis_url)
        server.env.update(server_environment(skill_host, tmp_dir, handlers, password_n=password_n))
        server.start()
        try:
            assert server.process is not None
            base = server.health_url.rsplit("/_localexa", 1)[0]
            config.lwa_base_url = base
            config.events_base_url = base
            probe = Probe(
                server.process.pid, base, tmp_dir=tmp_dir, database_url=database_url, redis_url=redis_url
            )
            workload = Workload(base, skill_host, cloud, handlers=handlers, mix=mix or Mix())
            yield Soak(server, probe, workload)
        finally:
            server.stop()


def growth_table(first: Sample, last: Sample, peaks: dict[str, float]) -> str:
    served = max(1, last.requests - first.requests)
    lines = [
        f"| measured ({served:,} requests between) | after warm-up | end | growth | per 1,000 requests"
        " | highest |",
        "|---|---|---|---|---|---|",
    ]
    names = list(dict.fromkeys([*first.values, *last.values]))
    for name in names:
        start, end = first.values.get(name, 0.0), last.values.get(name, 0.0)
        grown = end - start
        per_1000 = grown * 1000 / served
        highest = _num(peaks.get(name, end))
        lines.append(f"| {name} | {_num(start)} | {_num(end)} | {grown:+g} | {per_1000:+.3f} | {highest} |")
    return "\n".join(lines)


def _num(value: float) -> str:
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


async def _run(soak: Soak, seconds: float, warm_up_rounds: int) -> None:
    workload, probe = soak.workload, soak.probe
    started = time.monotonic()
    for _ in range(warm_up_rounds):
        await workload.round()
    await workload.drop_connections()
    first = await probe.settle(outbound=False)
    print(
        f"warm-up: {warm_up_rounds} rounds, {first.requests:,} requests, {time.monotonic() - started:.0f} s",
        flush=True,
    )
    peaks = dict(first.values)
    last = first
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await workload.round()
        last = await probe.sample()
        for name, value in last.values.items():
            peaks[name] = max(peaks.get(name, value), value)
        seen = last.values
        print(
            f"round {workload.rounds}: {last.requests:,} requests, RSS {seen['resident memory (MB)']} MB,"
            f" fds {seen['open fds']:.0f}, threads {seen['threads']:.0f},"
            f" children {seen['child processes']:.0f}",
            flush=True,
        )
    # The last sample as the first: the caller's connections closed, nothing under way.
    await workload.drop_connections()
    last = await probe.settle(outbound=False)
    print()
    print(f"{workload.rounds} rounds in {time.monotonic() - started:.0f} s")
    print(growth_table(first, last, peaks))
    failures = workload.failures()
    print()
    print("server errors (5xx other than injected faults):", failures or "none")
    print(
        "answers by operation:",
        dict(sorted(Counter({f"{op} {s}": n for (op, s), n in workload.statuses.items()}).items())),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=300, help="how long the rounds after the warm-up run"
    )
    parser.add_argument("--database-url", default=None, help="localexa's database (default: SQLite)")
    parser.add_argument("--redis-url", default=None, help="Redis for rate limits and the token epoch")
    parser.add_argument("--customers", type=int, default=3, help="customers per round, concurrently")
    parser.add_argument("--reset-every", type=int, default=6, help="rounds between resets (0: never)")
    parser.add_argument("--warm-up-rounds", type=int, default=6, help="rounds before the first sample")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as root,
        soak_server(
            Path(root),
            database_url=args.database_url,
            redis_url=args.redis_url,
            mix=Mix(customers=args.customers, reset_every=args.reset_every),
        ) as soak,
    ):
        asyncio.run(_main_async(soak, args.seconds, args.warm_up_rounds))


async def _main_async(soak: Soak, seconds: float, warm_up_rounds: int) -> None:
    try:
        await _run(soak, seconds, warm_up_rounds)
    finally:
        await soak.workload.aclose()


if __name__ == "__main__":
    main()
