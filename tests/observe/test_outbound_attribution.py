"""Every outbound journal entry names the customer and skill that caused it (README "Journal").

A `POST /_localexa/directives` names them only in its body, and the evaluation worker sends its
directives in no call at all: their outbound entries (the token refresh, the skill's endpoint, a
Lambda's INVOKE) had `customer` and `skill` null.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.directives.runtime import Runtime
from localexa.server.directives.service import DirectiveRequest, send_directive
from tests.factories import Admin
from tests.observe.helpers import ADMIN, journal

REDIRECT = "https://app.example.com/alexa"
ACCOUNT_LINKING = "alexa::skills:account_linking"
ECHO = "python:tests.directives.handlers:echo"


class _SkillCloud(BaseHTTPRequestHandler):
    """The skill's token URL (`/token`) and its HTTP endpoint (`/skill`), both on one server."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/token":
            answer: dict[str, Any] = {
                "access_token": "cloud-access",
                "refresh_token": "cloud-refresh",
                "token_type": "bearer",
                "expires_in": 3600,
            }
        else:  # any answer will do: the journal records it whatever its verdict
            answer = {"event": {"header": {"namespace": "Alexa", "name": "Response"}, "payload": {}}}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def cloud() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SkillCloud)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def _linked(admin: Admin, client: httpx.AsyncClient, cloud: str, endpoint: str) -> tuple[str, str]:
    """A customer who enabled the skill and linked their account; its follow-up is over."""
    skill = await admin.skill(
        endpoint=endpoint,
        account_linking={
            "type": "AUTH_CODE",
            "authorizationUrl": f"{cloud}/authorize",
            "accessTokenUrl": f"{cloud}/token",
            "clientId": "cloud-client",
            "clientSecret": "cloud-secret",
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["lights"],
            "redirectUrls": [REDIRECT],
        },
    )
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    linked = await client.post(
        f"/v1/users/~current/skills/{skill.skill_id}/enablement",
        json={
            "stage": "development",
            "accountLinkRequest": {"redirectUri": REDIRECT, "authCode": "code-1", "type": "AUTH_CODE"},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert linked.status_code == 201, linked.text
    path = f"/_localexa/customers/{customer.user_id}/skills/{skill.skill_id}/endpoints"
    waited = await client.get(path, params={"waitSeconds": 20}, headers=ADMIN)
    assert waited.status_code == 200, waited.text
    return customer.user_id, skill.skill_id


async def _outbound_of(client: httpx.AsyncClient, response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return await journal(client, direction="outbound", requestId=response.headers["X-Amzn-RequestId"])


async def test_a_directive_sent_through_the_admin_api_names_its_customer_and_skill(
    client: httpx.AsyncClient, admin: Admin, cloud: str
) -> None:
    user_id, skill_id = await _linked(admin, client, cloud, f"{cloud}/skill")
    await admin.advance_clock(2 * 3600)  # the linked token has expired: the directive refreshes it
    sent = await client.post(
        "/_localexa/directives",
        json={
            "userId": user_id,
            "skillId": skill_id,
            "endpointId": "lamp-1",
            "namespace": "Alexa",
            "name": "ReportState",
        },
        headers=ADMIN,
    )
    calls = await _outbound_of(client, sent)
    assert sorted(c["path"] for c in calls) == ["/skill", "/token"]
    assert [(c["customer"], c["skill"]) for c in calls] == [(user_id, skill_id)] * 2
    # And every call out so far: the link's code exchange, the after-link Discover.
    everything = await journal(client, direction="outbound")
    assert {c["path"] for c in everything} == {"/skill", "/token"}
    assert {(c["customer"], c["skill"]) for c in everything} == {(user_id, skill_id)}


async def test_a_lambdas_invoke_names_its_customer_and_skill(
    client: httpx.AsyncClient, admin: Admin, cloud: str
) -> None:
    user_id, skill_id = await _linked(admin, client, cloud, ECHO)
    again = await client.post(f"/_localexa/customers/{user_id}/skills/{skill_id}/discover", headers=ADMIN)
    sent = await client.post(
        "/_localexa/directives",
        json={
            "userId": user_id,
            "skillId": skill_id,
            "endpointId": "lamp-1",
            "namespace": "Alexa",
            "name": "ReportState",
        },
        headers=ADMIN,
    )
    for response in (again, sent):
        [invoke] = await _outbound_of(client, response)
        assert (invoke["method"], invoke["url"]) == ("INVOKE", ECHO)
        assert (invoke["customer"], invoke["skill"]) == (user_id, skill_id)


async def test_a_directive_sent_in_no_call_names_its_customer_and_skill(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI, cloud: str
) -> None:
    """As the capability evaluation worker sends them: from a task no inbound call began."""
    user_id, skill_id = await _linked(admin, client, cloud, f"{cloud}/skill")
    before = {c["id"] for c in await journal(client, direction="outbound")}
    await send_directive(
        Runtime.of(app.state),
        DirectiveRequest(
            user_id=user_id, skill_id=skill_id, namespace="Alexa", name="ReportState", endpoint_id="lamp-1"
        ),
    )
    [call] = [c for c in await journal(client, direction="outbound") if c["id"] not in before]
    assert call["path"] == "/skill"
    assert call["requestId"] is None
    assert (call["customer"], call["skill"]) == (user_id, skill_id)
