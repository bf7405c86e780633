"""`Host: api.eu.amazonalexa.com.`: a fully qualified name (trailing dot, valid DNS, sent by some
clients) picks the region as the same name without the dot does (core/regions.py)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.regions import Region, RegionMiddleware
from tests.enablement.helpers import bearer, customer_token, enablement_path
from tests.factories import Admin

#: No such skill: the region is checked first (403 in the wrong one), then the skill (404).
UNKNOWN_SKILL = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
PORTS = {"NA": 8080, "EU": 8081, "FE": 8082}


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("api.amazonalexa.com.", "NA"),
        ("api.eu.amazonalexa.com.", "EU"),
        ("API.FE.AmazonAlexa.com.:443", "FE"),
        ("api.fe.amazon.com.", "FE"),
    ],
)
async def test_a_trailing_dot_host_picks_its_region(
    app: FastAPI, admin: Admin, host: str, region: str
) -> None:
    # Called on another region's listener: only the Host header can make it the customer's region
    # (403 "registered in the … region" otherwise).
    listener = PORTS["EU" if region == "NA" else "NA"]
    token = await customer_token(admin, await admin.customer(region=region))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{listener}") as client:
        answer = await client.get(enablement_path(UNKNOWN_SKILL), headers={**bearer(token), "Host": host})
    assert answer.status_code == 404, answer.text


@pytest.mark.parametrize(
    ("host", "region"),
    [
        (b"api.eu.amazonalexa.com.", Region.EU),
        (b"api.eu.amazonalexa.com.:8443", Region.EU),
        (b"Api.Fe.Amazonalexa.Com.", Region.FE),
        # One dot only: `..` is no DNS name, and a name outside Amazon's stays on the port's region.
        (b"api.eu.amazonalexa.com..", Region.NA),
        (b"eu.amazonalexa.com.", Region.NA),
        (b".", Region.NA),
    ],
)
def test_region_of_a_fully_qualified_host(host: bytes, region: Region) -> None:
    middleware = RegionMiddleware(app=None, ports=PORTS)  # type: ignore[arg-type]
    scope = {"type": "http", "headers": [(b"host", host)], "server": ("127.0.0.1", 8080)}
    assert middleware.region_of(scope) == region
