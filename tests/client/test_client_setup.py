"""One argument points every host at localexa; the default is Amazon's real hosts; the public
surface is what `__all__` says; the client never imports the server."""

from __future__ import annotations

import inspect
import subprocess
import sys

import httpx
import pytest

import localexa.client as sdk
from localexa.client import AsyncClient, Client, ConfigurationError, Endpoints, Region, RetryPolicy
from localexa.client._core import segment
from tests.client.conftest import BASE, FakeAmazon, reply


def test_the_client_never_imports_the_server() -> None:
    code = (
        "import sys, localexa.client, localexa.client.types;"
        "bad = sorted(m for m in sys.modules if m.startswith('localexa.server')"
        " or m.split('.')[0] in ('sqlalchemy', 'fastapi', 'starlette', 'alembic'));"
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_public_names_are_exactly_the_exported_ones() -> None:
    # (`isidentifier` skips names pytest's assertion rewriting may add to the module.)
    public = {name for name in vars(sdk) if name.isidentifier() and not name.startswith("_")} - {
        "auth",
        "messages",
        "pkce",
        "types",
        "resources",
    }
    assert set(sdk.__all__) == public
    assert len(sdk.__all__) == len(set(sdk.__all__))  # (its order is ruff's RUF022 business)


def test_defaults_are_amazons_hosts() -> None:
    endpoints = Client().endpoints
    assert endpoints == Endpoints(
        authorize="https://www.amazon.com",
        lwa="https://api.amazon.com",
        alexa_na="https://api.amazonalexa.com",
        alexa_eu="https://api.eu.amazonalexa.com",
        alexa_fe="https://api.fe.amazonalexa.com",
        credential_locker="https://credential-locker-service.amazon.com",
        admin=None,
    )


@pytest.mark.parametrize(
    ("base_url", "eu", "fe"),
    [
        pytest.param("http://127.0.0.1:8080", "http://127.0.0.1:8081", "http://127.0.0.1:8082", id="port"),
        pytest.param(
            "https://localhost:9443/", "https://localhost:9444", "https://localhost:9445", id="https"
        ),
        pytest.param(
            "http://example.test", "http://example.test:81", "http://example.test:82", id="default-port"
        ),
    ],
)
def test_one_base_url_maps_every_host(base_url: str, eu: str, fe: str) -> None:
    endpoints = Client(base_url=base_url).endpoints
    na = base_url.rstrip("/")
    assert (endpoints.authorize, endpoints.lwa, endpoints.alexa_na) == (na, na, na)
    assert (endpoints.credential_locker, endpoints.admin) == (na, na)
    assert (endpoints.alexa(Region.EU), endpoints.alexa("FE")) == (eu, fe)


@pytest.mark.parametrize(
    "base_url", ["127.0.0.1:8080", "ftp://x", "http://[::1", "http://x:99999", "notaurl"]
)
def test_base_url_must_be_an_http_url(base_url: str) -> None:
    with pytest.raises(ConfigurationError, match="http") as caught:
        Endpoints.local(base_url)
    assert isinstance(caught.value, ValueError)  # a bad argument, as before


@pytest.mark.parametrize("value", ["\udcff", "a\ud800b"])
def test_an_id_that_is_not_utf8_is_refused_before_any_request(value: str) -> None:
    with pytest.raises(ConfigurationError, match="not UTF-8"):
        segment(value)


def test_every_api_goes_to_its_amazon_host() -> None:
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(f"{request.url.scheme}://{request.url.host}{request.url.path}")
        if request.url.path == "/auth/o2/tokeninfo":
            return httpx.Response(200, json={"aud": "x"})
        if request.url.path == "/v1/skills/s/credentials":
            return httpx.Response(
                200, json={"skillMessagingCredentials": {"clientId": "a", "clientSecret": "b"}}
            )
        return httpx.Response(204 if request.method != "GET" else 200, json={"threadNetworks": []})

    with Client(auth="Atza|t", transport=httpx.MockTransport(handler)) as client:
        client.lwa.token_info("Atza|t")
        client.credentials.get("s")
        client.enablement.enable("s")
        client.events.send({"event": {}}, region="EU")
        list(client.thread_networks.list(extended_pan_id="e"))
    assert urls == [
        "https://api.amazon.com/auth/o2/tokeninfo",
        "https://api.amazonalexa.com/v1/skills/s/credentials",
        "https://api.amazonalexa.com/v1/skills/s/stages/development/enablement",
        "https://api.eu.amazonalexa.com/v3/events",
        "https://credential-locker-service.amazon.com/credentiallocker/v2/threadNetworks",
    ]


def test_the_admin_api_needs_localexa_and_a_key() -> None:
    with Client() as amazon, pytest.raises(ConfigurationError, match="localexa server"):
        amazon.admin.clock.get()
    with Client(base_url=BASE) as keyless, pytest.raises(ConfigurationError, match="admin_key"):
        keyless.admin.clock.get()


def test_with_options_shares_the_connection_and_replaces_only_what_is_given(amazon: FakeAmazon) -> None:
    amazon.on("GET", f"{BASE}/_localexa/clock", reply(200, {"now": "2030-01-01T00:00:00Z"}))
    client = Client(base_url=BASE, admin_key="k1", transport=amazon.transport(), max_retries=4)
    other = client.with_options(admin_key="k2")
    assert other.retry.max_retries == 4
    assert other.with_options(max_retries=0).retry.max_retries == 0
    assert other.endpoints == client.endpoints
    other.admin.clock.get()
    client.admin.clock.get()
    other.close()  # does not own the connection
    client.admin.clock.get()
    client.close()
    assert [r.headers["X-Localexa-Admin-Key"] for r in amazon.requests] == ["k2", "k1", "k1"]
    assert "k1" not in repr(client)


def test_path_parameters_are_encoded(amazon: FakeAmazon) -> None:
    amazon.on("PUT", f"{BASE}/v1/skills/a%2F..%2Fb/stages/live/enablement", reply(204))
    with Client(base_url=BASE, auth="t", transport=amazon.transport()) as client:
        client.enablement.enable("a/../b", "live")
    assert amazon.requests[0].url.raw_path == b"/v1/skills/a%2F..%2Fb/stages/live/enablement"


def test_a_retry_policy_is_immutable() -> None:
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_retries = 5  # type: ignore[misc]


def test_resource_methods_show_their_real_signatures() -> None:
    sync_signature = inspect.signature(Client().enablement.enable)
    assert list(sync_signature.parameters) == ["skill_id", "stage"]
    assert sync_signature.return_annotation == "None"
    listing = inspect.signature(Client().thread_networks.list)
    assert listing.return_annotation == "SyncPager[ThreadNetwork]"
    assert "extended_pan_id" in listing.parameters
    linking = inspect.signature(AsyncClient().customer_enablement.enable_and_link)
    assert linking.return_annotation == "CustomerEnablement"
    assert Client().enablement.enable.__doc__ is not None


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8080/?access_token=SECRET#frag",
        "http://alice:SECRET@127.0.0.1:8080/#SECRET",
        "http://127.0.0.1:8080#SECRET",
    ],
)
def test_the_base_url_error_does_not_echo_a_query_or_fragment(base_url: str) -> None:
    """It echoed `?access_token=SECRET#frag` (until 2026-12-06), unlike connection errors."""
    with pytest.raises(ConfigurationError) as caught:
        Client(base_url=base_url)
    message = str(caught.value)
    assert "SECRET" not in message
    assert "#frag" not in message
    assert "127.0.0.1:8080" in message
    assert "query and fragment not shown" in message
