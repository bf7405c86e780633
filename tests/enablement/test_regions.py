"""Regions: each customer belongs to NA, EU or FE; `/v1/alexaApiEndpoint` names that region's
endpoint, and the customer API answers only there (README "Regions")."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.enablement.helpers import bearer, customer_token, enablement_path, link, linked_skill
from tests.enablement.token_server import TokenServer
from tests.factories import Admin

PORTS = {"NA": 8080, "EU": 8081, "FE": 8082}


@pytest.fixture
async def regional(app: FastAPI) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """A client per region listener (the ASGI scope's server port picks the region)."""
    transport = httpx.ASGITransport(app=app)
    clients = {
        r: httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{p}") for r, p in PORTS.items()
    }
    yield clients
    for c in clients.values():
        await c.aclose()


@pytest.mark.parametrize("region", ["NA", "EU", "FE"])
async def test_endpoint_names_the_customers_region_from_any_listener(
    admin: Admin, regional: dict[str, httpx.AsyncClient], region: str
) -> None:
    token = await customer_token(admin, await admin.customer(region=region))
    for listener in PORTS:
        response = await regional[listener].get("/v1/alexaApiEndpoint", headers=bearer(token))
        assert response.status_code == 200
        assert response.json() == {"endpoints": [f"127.0.0.1:{PORTS[region]}"]}


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("NA", "api.amazonalexa.com"),
        ("EU", "api.eu.amazonalexa.com"),
        ("FE", "api.fe.amazonalexa.com"),
    ],
)
async def test_endpoint_is_amazons_host_name_when_called_through_one(
    client: httpx.AsyncClient, admin: Admin, region: str, host: str
) -> None:
    token = await customer_token(admin, await admin.customer(region=region))
    response = await client.get(
        "/v1/alexaApiEndpoint", headers={**bearer(token), "Host": "api.amazonalexa.com"}
    )
    assert response.json() == {"endpoints": [host]}


@pytest.mark.parametrize(
    "via", ["api.fe.amazon.com", "API.EU.AMAZONALEXA.COM.", "api.fe.amazonalexa.com:443"]
)
async def test_every_amazon_host_name_answers_amazons_name_of_the_customers_region(
    client: httpx.AsyncClient, admin: Admin, via: str
) -> None:
    """The FE alias of the Skill Enablement page (`api.fe.amazon.com`) is one of Amazon's names
    too: an EU customer calling through it was answered `api.fe.amazon.com:8081`, which the
    region middleware routes to FE (403 there)."""
    token = await customer_token(admin, await admin.customer(region="EU"))
    response = await client.get("/v1/alexaApiEndpoint", headers={**bearer(token), "Host": via})
    assert response.json() == {"endpoints": ["api.eu.amazonalexa.com"]}


async def test_endpoint_follows_the_host_the_caller_used(client: httpx.AsyncClient, admin: Admin) -> None:
    token = await customer_token(admin, await admin.customer(region="EU"))
    response = await client.get(
        "/v1/alexaApiEndpoint", headers={**bearer(token), "Host": "192.168.1.20:8080"}
    )
    assert response.json() == {"endpoints": ["192.168.1.20:8081"]}
    response = await client.get("/v1/alexaApiEndpoint", headers={**bearer(token), "Host": "[::1]:8080"})
    assert response.json() == {"endpoints": ["[::1]:8081"]}


async def test_eu_customer_links_on_the_eu_endpoint_only(
    admin: Admin, regional: dict[str, httpx.AsyncClient], token_server: TokenServer
) -> None:
    skill = await linked_skill(admin, token_server)
    token = await customer_token(admin, await admin.customer(region="EU"))
    path = enablement_path(skill.skill_id)

    for wrong in ("NA", "FE"):
        refused = await link(regional[wrong], token, skill.skill_id)
        assert refused.status_code == 403
        assert "EU region" in refused.json()["message"]
        assert set(refused.json()) == {"message"}

    assert (await link(regional["EU"], token, skill.skill_id)).status_code == 201
    assert (await regional["EU"].get(path, headers=bearer(token))).status_code == 200
    for wrong in ("NA", "FE"):
        assert (await regional[wrong].get(path, headers=bearer(token))).status_code == 403
        assert (await regional[wrong].delete(path, headers=bearer(token))).status_code == 403
    # Still enabled: the refused DELETEs changed nothing.
    assert (await regional["EU"].get(path, headers=bearer(token))).status_code == 200
    assert (await regional["EU"].delete(path, headers=bearer(token))).status_code == 200


async def test_amazon_host_header_selects_the_region(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """A hosts-file entry for api.fe.amazonalexa.com reaches the FE region on any port."""
    skill = await linked_skill(admin, token_server)
    token = await customer_token(admin, await admin.customer(region="FE"))
    path = enablement_path(skill.skill_id)
    assert (
        await client.get(path, headers={**bearer(token), "Host": "api.amazonalexa.com"})
    ).status_code == 403
    fe = {**bearer(token), "Host": "api.fe.amazonalexa.com"}
    assert (await client.get(path, headers=fe)).status_code == 404  # right region, not enabled yet
    # The spelling of the Skill Enablement reference page's host list.
    seed = {**bearer(token), "Host": "api.fe.amazon.com:443"}
    assert (await client.get(path, headers=seed)).status_code == 404


async def test_calls_made_for_an_eu_customer_are_journaled_eu_whichever_port_asked(
    admin: Admin, regional: dict[str, httpx.AsyncClient], token_server: TokenServer
) -> None:
    """A directive for an EU customer sent through the NA admin port journaled its calls (the
    token refresh, the call to the skill) as NA; an evaluation run's calls had no region at all
    (QA of regions, 2026-12-05). They are the customer's region now."""
    skill = await linked_skill(admin, token_server)
    customer = await admin.customer(region="EU")
    token = await customer_token(admin, customer)
    assert (await link(regional["EU"], token, skill.skill_id)).status_code == 201
    # The link's follow-ups (Discover) run in the background: done before the advance, else one
    # that started after it refreshed the token instead of the directive (PostgreSQL, 3 runs in 5).
    done = await admin.client.get(
        f"/_localexa/customers/{customer.user_id}/skills/{skill.skill_id}/endpoints",
        params={"waitSeconds": 30},
        headers=admin.headers,
    )
    assert done.status_code == 200, done.text
    await admin.advance_clock(3601)  # the directive refreshes the linked token first
    directive = {
        "userId": customer.user_id,
        "skillId": skill.skill_id,
        "endpointId": "lamp",
        "namespace": "Alexa",
        "name": "ReportState",
    }
    sent = await regional["NA"].post("/_localexa/directives", json=directive, headers=admin.headers)
    assert sent.status_code == 200, sent.text
    journal = await regional["NA"].get(
        "/_localexa/journal",
        params={"direction": "outbound", "requestId": sent.headers["X-Amzn-RequestId"]},
        headers=admin.headers,
    )
    regions = [e["region"] for e in journal.json()["entries"]]
    assert len(regions) >= 2, regions  # the refresh and the call to the skill
    assert set(regions) == {"EU"}
