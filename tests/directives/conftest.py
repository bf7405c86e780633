"""Fixtures of the directives tests: localexa on real HTTP, and the real My Lights sample beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import pytest
from fastapi import FastAPI

from localexa.samples.mylights import DeviceCloud, MyLightsConfig, create_mylights_app
from localexa.server.settings import Settings
from tests.directives.live import TokenRequests, eventually, record_token_requests
from tests.factories import Admin, Customer, Skill
from tests.servers import serve_in_loop, serve_in_thread

ACCOUNT_LINKING = "alexa::skills:account_linking"
ASYNC_EVENTS = "alexa::async_event:write"
REDIRECT = "https://app.example.com/alexa"
#: Short enough that the handler that never returns costs little; long enough for a cold Lambda.
DIRECTIVE_TIMEOUT = 3.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"directive_timeout": DIRECTIVE_TIMEOUT})


@pytest.fixture
async def localexa_url(app: FastAPI) -> AsyncIterator[str]:
    """The test's app on a real port, so skills can call it back."""
    async with serve_in_loop(app) as url:
        yield url


@dataclass
class MyLights:
    url: str
    cloud: DeviceCloud
    token_requests: TokenRequests

    def account_linking(self) -> dict[str, Any]:
        config = self.cloud.config
        return {
            "type": "AUTH_CODE",
            "authorizationUrl": f"{self.url}/authorize",
            "accessTokenUrl": f"{self.url}/token",
            "clientId": config.client_id,
            "clientSecret": config.client_secret,
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": list(config.scopes),
            "redirectUrls": [REDIRECT],
        }

    def auth_code(self, user: str = "demo") -> str:
        """What the My Lights app gets back from its own /authorize after the user signs in."""
        config = self.cloud.config
        return self.cloud.oauth.issue_code(user, config.client_id, REDIRECT, " ".join(config.scopes))


@pytest.fixture
def mylights(localexa_url: str) -> Iterator[MyLights]:
    config = MyLightsConfig(lwa_base_url=localexa_url, events_base_url=localexa_url)
    cloud = DeviceCloud(config)
    seen = TokenRequests()
    with serve_in_thread(record_token_requests(create_mylights_app(cloud=cloud), "/token", seen)) as url:
        yield MyLights(url, cloud, seen)


@dataclass
class Linked:
    customer: Customer
    skill: Skill

    @property
    def user_id(self) -> str:
        return self.customer.user_id

    @property
    def skill_id(self) -> str:
        return self.skill.skill_id

    def path(self, tail: str) -> str:
        return f"/_localexa/customers/{self.user_id}/skills/{self.skill_id}/{tail}"


async def link_customer(
    admin: Admin,
    client: httpx.AsyncClient,
    mylights: MyLights,
    *,
    endpoint: str | None = None,
    permissions: list[str] | None = None,
    alexa_credentials: bool = True,
) -> Linked:
    """A My Lights skill, and a customer who enabled it and linked their My Lights account.

    With `alexa_credentials`, My Lights knows the skill's messaging credentials (it needs them to
    exchange AcceptGrant codes)."""
    skill = await admin.skill(
        endpoint=endpoint or f"{mylights.url}/skill",
        permissions=[ASYNC_EVENTS] if permissions is None else permissions,
        account_linking=mylights.account_linking(),
    )
    if alexa_credentials:
        mylights.cloud.set_alexa_credentials(skill.messaging_client_id, skill.messaging_client_secret)
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    await post_link(client, token, skill.skill_id, mylights)
    return Linked(customer, skill)


async def post_link(client: httpx.AsyncClient, token: str, skill_id: str, mylights: MyLights) -> None:
    """The customer's enable-and-link call with a fresh My Lights code (201 expected)."""
    body = {
        "stage": "development",
        "accountLinkRequest": {
            "redirectUri": REDIRECT,
            "authCode": mylights.auth_code(),
            "type": "AUTH_CODE",
        },
    }
    answer = await client.post(
        f"/v1/users/~current/skills/{skill_id}/enablement",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.text


class HasLinkPaths(Protocol):
    """A customer's linked skill as the admin API names it: `Linked`, or a test's own stand-in."""

    def path(self, tail: str) -> str: ...


async def endpoints_after_link(admin: Admin, linked: HasLinkPaths) -> dict[str, Any]:
    """The endpoints view once the background Discover/AcceptGrant are done."""
    answer = await admin.client.get(
        linked.path("endpoints"), params={"waitSeconds": 30}, headers=admin.headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def send(admin: Admin, body: dict[str, Any]) -> httpx.Response:
    return await admin.client.post("/_localexa/directives", json=body, headers=admin.headers)


__all__ = ["eventually"]
