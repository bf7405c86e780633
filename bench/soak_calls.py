"""The soak's calls (bench/soak.py): what a round is made of, one call at a time, and the world
it needs (made through the admin API)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from bench import servers
from localexa.samples.mylights import DeviceCloud

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


class SoakCalls:
    """The calls a round is made of, against one server: the admin set-up, sign-ins, links,
    directives. `statuses` counts every answer by operation."""

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
        #: The first body of each operation's 4xx answer: what a refusal said (the statuses alone
        #: told only that a link answered 400 in a CI run, not why).
        self.refusals: dict[tuple[str, int], str] = {}
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
        if 400 <= response.status_code < 500:
            self.refusals.setdefault((op, response.status_code), response.text[:300])
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
