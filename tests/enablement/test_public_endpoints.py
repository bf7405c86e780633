"""Behind a proxy or a port mapping `GET /v1/alexaApiEndpoint` names the region's public address.

It named the listener's own port on whatever host the caller used (`localhost:18111` for a proxy
on `https://localhost:18144`), so the client's app-to-app linking then sent its enablement to a
port that spoke plain HTTP, or another process's (proxy QA, 2026-12-06). The region's public base
URL (LOCALEXA_PUBLIC_BASE_URL, LOCALEXA_EU_PUBLIC_BASE_URL, LOCALEXA_FE_PUBLIC_BASE_URL) wins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.enablement.helpers import bearer, customer_token
from tests.factories import Admin


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "public_base_url": "https://lx.example.test:18143/",
            "eu_public_base_url": "https://lx.example.test:18144",
            "fe_public_base_url": "https://fe.example.test",
        }
    )


@pytest.fixture
async def proxied(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        yield client


@pytest.mark.parametrize(
    ("region", "endpoint"),
    [("NA", "lx.example.test:18143"), ("EU", "lx.example.test:18144"), ("FE", "fe.example.test")],
)
async def test_each_region_is_named_by_its_public_url(
    proxied: httpx.AsyncClient, region: str, endpoint: str
) -> None:
    admin = Admin(proxied, ADMIN_KEY)
    token = await customer_token(admin, await admin.customer(region=region))
    # The Host a proxy passes on (its upstream's name, or the browser's host without the port).
    answer = await proxied.get("/v1/alexaApiEndpoint", headers={**bearer(token), "Host": "lx_upstream"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"endpoints": [endpoint]}


async def test_amazons_host_names_still_win(proxied: httpx.AsyncClient) -> None:
    admin = Admin(proxied, ADMIN_KEY)
    token = await customer_token(admin, await admin.customer(region="EU"))
    answer = await proxied.get(
        "/v1/alexaApiEndpoint", headers={**bearer(token), "Host": "api.eu.amazonalexa.com"}
    )
    assert answer.json() == {"endpoints": ["api.eu.amazonalexa.com"]}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("lx.example.test:18143", "http:// or https:// URL with a host"),
        ("ftp://lx.example.test", "http:// or https:// URL with a host"),
        ("https://lx.example.test:99999", "http:// or https:// URL with a host"),
        ("http://[", "http:// or https:// URL with a host"),
        ("https://lx.example.test/alexa", "no path, query or user"),
        ("https://user@lx.example.test", "no user or password in it"),
        ("https://user:pw-SECRET@lx.example.test", "no user or password in it"),
    ],
)
def test_a_public_url_that_is_no_origin_is_refused_at_start(
    settings: Settings, value: str, says: str
) -> None:
    with pytest.raises(ValidationError, match=says) as refused:
        Settings(**{**settings.model_dump(), "eu_public_base_url": value})
    assert "pw-SECRET" not in str(refused.value).split("input_value")[0]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("127.0.0.1", True),
        ("127.0.0.1, 10.0.0.0/8,::1", True),
        ("*", True),
        ("localhost", False),
        ("", False),
    ],
)
def test_the_trusted_proxies_are_addresses(settings: Settings, value: str, ok: bool) -> None:
    if ok:
        assert Settings(**{**settings.model_dump(), "forwarded_allow_ips": value}).forwarded_allow_ips
    else:
        with pytest.raises(ValidationError):
            Settings(**{**settings.model_dump(), "forwarded_allow_ips": value})
