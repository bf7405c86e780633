"""What a skill's EXPIRED/INVALID_AUTHORIZATION_CREDENTIAL answer does to the link, against a skill
and a token server of this test's own (review of 2026-12-07):

- EXPIRED, then the token server fails the refresh: the directive was delivered and answered, so
  the answer is returned and recorded with a note (it was a 503 "try again", nothing recorded);
- INVALID to a directive sent with an earlier link's token, answered after the customer linked
  again: the new link stays (it was marked NEEDS_RELINK and its fresh tokens forgotten);
- EXPIRED to a token the link has refreshed since: sent again with the link's token, no second
  refresh (each late EXPIRED answer refreshed the link once more).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from localexa.skill import discover_response
from tests.directives.conftest import ACCOUNT_LINKING, send
from tests.factories import Admin
from tests.servers import serve_in_loop

REDIRECT = "https://app.example.com/alexa"
LAMP = {
    "endpointId": "lamp",
    "friendlyName": "Lamp",
    "description": "A lamp",
    "manufacturerName": "Test",
    "displayCategories": ["LIGHT"],
    "capabilities": [
        {"type": "AlexaInterface", "interface": "Alexa", "version": "3"},
        {
            "type": "AlexaInterface",
            "interface": "Alexa.PowerController",
            "version": "3",
            "properties": {
                "supported": [{"name": "powerState"}],
                "retrievable": True,
                "proactivelyReported": False,
            },
        },
    ],
}


@dataclass
class Cloud:
    """The skill and its token server: what they were sent, and how they answer."""

    url: str = ""
    grants: list[str] = field(default_factory=list)
    #: Access tokens the skill received, per directive name.
    tokens: list[tuple[str, str]] = field(default_factory=list)
    refresh_fails: bool = False
    #: The ErrorResponse type the skill answers endpoint directives with (None: a StateReport).
    error_type: str | None = None
    #: Whether the second endpoint directive to come is answered only once `release` is set.
    hold_second: bool = False
    release: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set once two endpoint directives have come.
    two_came: asyncio.Event = field(default_factory=asyncio.Event)
    issued: int = 0
    #: An access token the skill answers EXPIRED_AUTHORIZATION_CREDENTIAL to: the first two
    #: directives carrying it are held until both came, the second also until `release`.
    expired_for: str | None = None
    expired_came: int = 0
    both_expired_came: asyncio.Event = field(default_factory=asyncio.Event)

    async def token(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        grant = str(form.get("grant_type"))
        self.grants.append(grant)
        if grant == "refresh_token" and self.refresh_fails:
            return JSONResponse({"error": "server_error"}, status_code=500)
        self.issued += 1
        return JSONResponse(
            {
                "access_token": f"skill-access-{self.issued}",
                "refresh_token": f"skill-refresh-{self.issued}",
                "token_type": "bearer",
                "expires_in": 3600,
            }
        )

    async def skill(self, request: Request) -> JSONResponse:
        message = await request.json()
        directive = message["directive"]
        name = directive["header"]["name"]
        scope = directive.get("endpoint", directive.get("payload", {})).get("scope", {})
        self.tokens.append((name, scope.get("token", "")))
        if name == "Discover":
            return JSONResponse(discover_response(message, [LAMP]))
        error_type = self.error_type
        if self.expired_for is not None and scope.get("token") == self.expired_for:
            error_type = "EXPIRED_AUTHORIZATION_CREDENTIAL"
            self.expired_came += 1
            turn = self.expired_came
            if turn == 2:
                self.both_expired_came.set()
            await self.both_expired_came.wait()
            if turn == 2:
                await self.release.wait()
        if sum(1 for sent, _ in self.tokens if sent != "Discover") == 2:
            self.two_came.set()
            if self.hold_second:
                await self.release.wait()  # an event, not a delay: a loaded machine took longer
        header = {
            "namespace": "Alexa",
            "name": "ErrorResponse" if error_type else "StateReport",
            "payloadVersion": "3",
            "messageId": "answer-1",
            "correlationToken": directive["header"]["correlationToken"],
        }
        payload: dict[str, Any] = {"type": error_type, "message": "no"} if error_type else {}
        event = {
            "header": header,
            "endpoint": {"endpointId": directive["endpoint"]["endpointId"]},
            "payload": payload,
        }
        return JSONResponse({"event": event, "context": {"properties": []}})


@pytest.fixture
async def cloud() -> AsyncIterator[Cloud]:
    cloud = Cloud()
    app = Starlette(
        routes=[
            Route("/skill", cloud.skill, methods=["POST"]),
            Route("/token", cloud.token, methods=["POST"]),
        ]
    )
    async with serve_in_loop(app) as url:
        cloud.url = url
        yield cloud


@dataclass
class Linked:
    user_id: str
    skill_id: str
    token: str  # the customer's, for the enablement API

    def path(self, tail: str) -> str:
        return f"/_localexa/customers/{self.user_id}/skills/{self.skill_id}/{tail}"


async def _link(client: httpx.AsyncClient, linked: Linked, code: str) -> None:
    answer = await client.post(
        f"/v1/users/~current/skills/{linked.skill_id}/enablement",
        json={
            "stage": "development",
            "accountLinkRequest": {"redirectUri": REDIRECT, "authCode": code, "type": "AUTH_CODE"},
        },
        headers={"Authorization": f"Bearer {linked.token}"},
    )
    assert answer.status_code == 201, answer.text


async def _linked(admin: Admin, client: httpx.AsyncClient, cloud: Cloud) -> Linked:
    linking = {
        "type": "AUTH_CODE",
        "authorizationUrl": f"{cloud.url}/authorize",
        "accessTokenUrl": f"{cloud.url}/token",
        "clientId": "alexa",
        "clientSecret": "s3cret-s3cret",
        "accessTokenScheme": "HTTP_BASIC",
        "scopes": ["lights"],
        "redirectUrls": [REDIRECT],
    }
    skill = await admin.skill(endpoint=f"{cloud.url}/skill", permissions=[], account_linking=linking)
    customer = await admin.customer()
    linked = Linked(
        customer.user_id, skill.skill_id, await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    )
    await _link(client, linked, "code-1")
    found = await client.get(linked.path("endpoints"), params={"waitSeconds": 30}, headers=admin.headers)
    assert [e["endpointId"] for e in found.json()["endpoints"]] == ["lamp"], found.text
    return linked


async def _link_status(client: httpx.AsyncClient, linked: Linked) -> str:
    answer = await client.get(
        f"/v1/users/~current/skills/{linked.skill_id}/enablement",
        headers={"Authorization": f"Bearer {linked.token}"},
    )
    status: str = answer.json()["accountLink"]["status"]
    return status


def _report_state(linked: Linked) -> dict[str, Any]:
    return {
        "userId": linked.user_id,
        "skillId": linked.skill_id,
        "endpointId": "lamp",
        "namespace": "Alexa",
        "name": "ReportState",
    }


async def test_an_expired_answer_whose_refresh_fails_is_returned_and_recorded(
    admin: Admin, client: httpx.AsyncClient, cloud: Cloud
) -> None:
    linked = await _linked(admin, client, cloud)
    before = (await client.get(linked.path("messages"), headers=admin.headers)).json()["messages"]
    cloud.error_type = "EXPIRED_AUTHORIZATION_CREDENTIAL"
    cloud.refresh_fails = True

    answer = await send(admin, _report_state(linked))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["attempts"] == 1
    assert body["verdict"]["errorType"] == "EXPIRED_AUTHORIZATION_CREDENTIAL"
    assert body["notes"] == [
        "The skill answered EXPIRED_AUTHORIZATION_CREDENTIAL; refreshing the token failed: "
        "The skill's token server failed to refresh (the token endpoint answered 500)."
    ]
    assert cloud.grants == ["authorization_code", "refresh_token"]
    after = (await client.get(linked.path("messages"), headers=admin.headers)).json()["messages"]
    assert [m["name"] for m in after[: len(after) - len(before)]] == ["ErrorResponse", "ReportState"]
    assert await _link_status(client, linked) == "LINKED"  # the link is kept: the server failed for now


async def test_an_invalid_answer_to_an_earlier_links_token_keeps_the_new_link(
    admin: Admin, client: httpx.AsyncClient, cloud: Cloud
) -> None:
    """Two directives in flight with a revoked token: the first answer marks the link, the
    customer links again, then the second answer comes (the skill is slow)."""
    linked = await _linked(admin, client, cloud)
    cloud.error_type = "INVALID_AUTHORIZATION_CREDENTIAL"
    cloud.hold_second = True
    sent = [asyncio.create_task(send(admin, _report_state(linked))) for _ in range(2)]
    await asyncio.wait_for(cloud.two_came.wait(), 30)  # both sent with skill-access-1
    done, pending = await asyncio.wait(sent, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    (first,), (late,) = done, pending
    assert "NEEDS_RELINK" in first.result().json()["notes"][0]
    assert await _link_status(client, linked) == "NEEDS_RELINK"

    await _link(client, linked, "code-2")  # the customer links again: skill-access-2
    cloud.release.set()
    answer = await late

    assert answer.status_code == 200, answer.text
    assert answer.json()["notes"] == [
        "The skill answered INVALID_AUTHORIZATION_CREDENTIAL to a token the link has replaced since "
        "(a refresh, or a new link); the account link is kept."
    ]
    assert await _link_status(client, linked) == "LINKED"
    cloud.error_type = None
    again = await send(admin, _report_state(linked))
    assert again.status_code == 200, again.text
    assert cloud.tokens[-1] == ("ReportState", "skill-access-2")


async def test_an_invalid_answer_to_the_current_token_still_marks_the_link(
    admin: Admin, client: httpx.AsyncClient, cloud: Cloud
) -> None:
    linked = await _linked(admin, client, cloud)
    cloud.error_type = "INVALID_AUTHORIZATION_CREDENTIAL"

    answer = await send(admin, _report_state(linked))

    assert answer.json()["notes"] == [
        "The skill answered INVALID_AUTHORIZATION_CREDENTIAL; the account link is marked NEEDS_RELINK."
    ]
    assert await _link_status(client, linked) == "NEEDS_RELINK"


async def test_an_expired_answer_to_a_token_refreshed_since_is_sent_again_without_a_refresh(
    admin: Admin, client: httpx.AsyncClient, cloud: Cloud
) -> None:
    """Two directives in flight with the same token, both answered EXPIRED: the first answer's
    refresh serves the second (it refreshed the new token once more)."""
    linked = await _linked(admin, client, cloud)
    cloud.expired_for = "skill-access-1"
    sent = [asyncio.create_task(send(admin, _report_state(linked))) for _ in range(2)]
    await asyncio.wait_for(cloud.both_expired_came.wait(), 30)
    done, pending = await asyncio.wait(sent, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    (first,), (late,) = done, pending
    assert first.result().json()["attempts"] == 2, first.result().text
    assert cloud.grants == ["authorization_code", "refresh_token"]

    cloud.release.set()
    answer = await late

    assert answer.status_code == 200, answer.text
    assert answer.json()["attempts"] == 2
    assert answer.json()["verdict"]["errorType"] is None, answer.text
    assert cloud.grants == ["authorization_code", "refresh_token"]  # no second refresh
    assert [token for name, token in cloud.tokens if name == "ReportState"] == [
        "skill-access-1",
        "skill-access-1",
        "skill-access-2",
        "skill-access-2",
    ]
