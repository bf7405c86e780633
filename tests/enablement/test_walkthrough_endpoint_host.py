"""`GET /v1/alexaApiEndpoint` names the host the caller used only when the `Host` header is a
host (README walk-through: `Host: evil.com/path` was answered `["evil.com/path:8080"]`, which a
client prefixing `https://` sends to evil.com); a `Host` that is none is refused (400) before
any route, and an empty one gets the listening host."""

from __future__ import annotations

import httpx
import pytest

from tests.enablement.helpers import bearer, customer_token
from tests.factories import Admin


@pytest.fixture
def backend() -> str:
    """The Host rule is checked before any route or database: SQLite only (conftest's `backend`
    would run each case on PostgreSQL too, for CI's time)."""
    return "sqlite"


@pytest.mark.parametrize(
    "host",
    [
        *("evil.com/path", "u@evil.com", "a b", "x?y", "[::1", "[::1]x", "[zz]:8080", "foo:bar", "a:99999"),
        # RFC 9112's grammar lets these through; no host name (RFC 1123) or port (1-65535) they
        # are, and they were answered with the listening host (spec QA L4).
        *("a..b", "-foo.com", "foo-.com", ".a", ".", "a" * 64 + ".com", "foo.com:0", "a!b", "a%41b"),
        *(".".join(["a" * 63] * 4) + ".com", "999.1.1.1", "1.2.3.4.5:80"),
    ],
)
async def test_a_host_header_that_is_no_host_is_refused(
    client: httpx.AsyncClient, admin: Admin, host: str
) -> None:
    """RFC 9112 §3.2: a Host header whose value is not uri-host [":" port] is a 400 (it was
    served, answered with the listening host here, and a region was chosen from it)."""
    token = await customer_token(admin, await admin.customer(region="EU"))
    response = await client.get("/v1/alexaApiEndpoint", headers={**bearer(token), "Host": host})
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"message"}
    assert "is not a host[:port]" in response.json()["message"]


async def test_an_empty_host_with_a_port_gets_the_listening_host(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """`:8080` is a Host of RFC 3986's grammar (an empty reg-name): served, and not echoed."""
    token = await customer_token(admin, await admin.customer(region="EU"))
    response = await client.get("/v1/alexaApiEndpoint", headers={**bearer(token), "Host": ":8080"})
    assert response.status_code == 200, response.text
    assert response.json() == {"endpoints": ["127.0.0.1:8081"]}


@pytest.mark.parametrize(
    ("host", "endpoint"),
    [
        ("LocalHost:8080", "localhost:8081"),
        ("my_box", "my_box:8081"),
        ("[::1]", "[::1]:8081"),
        # A fully qualified name's trailing dot names the same host.
        ("my_box.", "my_box:8081"),
        ("api.eu.amazonalexa.com.", "api.eu.amazonalexa.com"),
        ("10.0.0.7:65535", "10.0.0.7:8081"),
        ("a" * 63 + ".example", "a" * 63 + ".example:8081"),
        ("x-1.example.com:1", "x-1.example.com:8081"),
        ("API.EU.AMAZONALEXA.COM.:443", "api.eu.amazonalexa.com"),
    ],
)
async def test_a_host_is_still_followed(
    client: httpx.AsyncClient, admin: Admin, host: str, endpoint: str
) -> None:
    token = await customer_token(admin, await admin.customer(region="EU"))
    response = await client.get("/v1/alexaApiEndpoint", headers={**bearer(token), "Host": host})
    assert response.json() == {"endpoints": [endpoint]}
