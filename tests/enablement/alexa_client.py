"""Helpers of the Alexa-client tests: a skill with its Alexa client (app-to-app account linking),
as `POST /_localexa/skills` answers it, and the LWA side of the app's flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.enablement.helpers import ACCOUNT_LINKING, REDIRECT, account_linking
from tests.enablement.token_server import TokenServer
from tests.factories import Admin, Customer, Skill


@dataclass
class AlexaSkill:
    """A skill and its Alexa client ("Alexa Client Id" and secret)."""

    skill: Skill
    client_id: str
    client_secret: str
    answer: dict[str, Any]

    @property
    def skill_id(self) -> str:
        return self.skill.skill_id


async def alexa_skill(
    admin: Admin,
    server: TokenServer | None,
    *,
    developer: Customer | None = None,
    permissions: list[str] | None = None,
    **linking: Any,
) -> AlexaSkill:
    """A skill, with account linking at `server` (none when `server` is None)."""
    developer = developer or await admin.customer(name="Dev")
    vendor_id = await admin.vendor(developer)
    body: dict[str, Any] = {
        "vendorId": vendor_id,
        "name": "My Lights",
        "endpoint": "http://127.0.0.1:9/skill",
        "permissions": permissions or [],
    }
    if server is not None:
        body["accountLinking"] = account_linking(server, **linking)
    answer = await admin.post("skills", body)
    messaging = answer["skillMessagingCredentials"]
    alexa = answer["alexaClientCredentials"]
    skill = Skill(
        skill_id=answer["skillId"],
        vendor_id=vendor_id,
        developer=developer,
        messaging_client_id=messaging["clientId"],
        messaging_client_secret=messaging["clientSecret"],
        body=body,
    )
    return AlexaSkill(skill, alexa["clientId"], alexa["clientSecret"], answer)


def alexa_authorize_url(
    client_id: str, *, redirect_uri: str = REDIRECT, scope: str = ACCOUNT_LINKING, **params: str
) -> str:
    """The URL the customer's app opens: LWA's /ap/oa with the skill's Alexa client."""
    query = {
        "client_id": client_id,
        "scope": scope,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": "app-state",
        **params,
    }
    return "/ap/oa?" + urlencode(query)


async def alexa_token(admin: Admin, alexa: AlexaSkill, customer: Customer) -> str:
    """The customer's account-linking token from the skill's Alexa client (as the admin mints it)."""
    return await admin.access_token(customer.user_id, [ACCOUNT_LINKING], client_id=alexa.client_id)


async def exchange(
    client: httpx.AsyncClient, alexa: AlexaSkill, code: str, verifier: str, redirect_uri: str = REDIRECT
) -> httpx.Response:
    """The app's exchange of the LWA code at /auth/o2/token with the Alexa client's secret."""
    return await client.post(
        "/auth/o2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": alexa.client_id,
            "client_secret": alexa.client_secret,
            "code_verifier": verifier,
        },
    )
