"""README walk-through, "Python client": "an `endpoint=` ... that is not a URL [raises]
`ConfigurationError`" before anything is sent. A value httpx accepts anyway (it percent-encodes a
space into the host, keeps a query or fragment after the port, wraps a port past 65535 onto
another one) must not carry the customer's token somewhere the caller did not name, and the
same host check applies to the entries `/v1/alexaApiEndpoint` answers, and to `base_url` (no query
or fragment, a port 1-65533 so that EU and FE fit on port+1 and port+2).
"""

from __future__ import annotations

import pytest

from localexa.client import APIResponseValidationError, ConfigurationError, Endpoints
from tests.client.conftest import BASE, Either, FakeAmazon, reply

SKILL = "amzn1.ask.skill.1"
TOKEN = "Atza|customer"
LINKED = {
    "skill": {"id": SKILL, "stage": "development"},
    "user": {"id": "amzn1.ask.account.U"},
    "accountLink": {"status": "LINKED"},
    "status": "ENABLED",
}

NOT_HOSTS = [
    pytest.param("bad host", id="space-in-host"),
    pytest.param("a%20b", id="percent-in-host"),
    pytest.param("127.0.0.1:8080?x=1", id="query-after-port"),
    pytest.param("127.0.0.1:8080#f", id="fragment-after-port"),
    pytest.param("127.0.0.1:123616", id="port-past-65535"),
    pytest.param("127.0.0.1:0", id="port-0"),
    pytest.param("http://", id="scheme-only"),
    pytest.param("  ", id="blank"),
    pytest.param("[zz::1]:80", id="not-ipv6"),
]


@pytest.mark.parametrize("endpoint", NOT_HOSTS)
async def test_an_endpoint_that_names_no_host_is_refused_before_sending(
    endpoint: str, either: Either, amazon: FakeAmazon
) -> None:
    with pytest.raises(ConfigurationError, match="is not a URL of a host"):
        await either.run(lambda c: c.customer_enablement.get(SKILL, token=TOKEN, endpoint=endpoint))
    assert amazon.requests == []


async def test_an_endpoint_with_user_info_is_refused_without_echoing_it(
    either: Either, amazon: FakeAmazon
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        await either.run(
            lambda c: c.customer_enablement.disable(SKILL, token=TOKEN, endpoint="user:s3cret@127.0.0.1:8081")
        )
    assert "s3cret" not in str(caught.value)
    assert amazon.requests == []


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("127.0.0.1:8081", "http://127.0.0.1:8081"),
        # Amazon's EU host name is the EU listener of base_url (never Amazon over plain HTTP).
        ("api.eu.amazonalexa.com/", "http://127.0.0.1:8081"),
        ("http://[::1]:8082", "http://[::1]:8082"),
        ("my_host.local:8081", "http://my_host.local:8081"),
    ],
)
async def test_a_host_endpoint_is_called(endpoint: str, url: str, either: Either, amazon: FakeAmazon) -> None:
    amazon.on("GET", f"{url}/v1/users/~current/skills/{SKILL}/enablement", reply(200, LINKED))
    record = await either.run(lambda c: c.customer_enablement.get(SKILL, token=TOKEN, endpoint=endpoint))
    assert record.account_link.status == "LINKED"
    assert [str(r.url) for r in amazon.requests] == [f"{url}/v1/users/~current/skills/{SKILL}/enablement"]


@pytest.mark.parametrize("entry", ["bad host", "127.0.0.1:123616"])
async def test_an_answered_entry_that_names_no_host_is_a_validation_error(
    entry: str, either: Either, amazon: FakeAmazon
) -> None:
    amazon.on("GET", f"{BASE}/v1/alexaApiEndpoint", reply(200, {"endpoints": [entry]}))
    with pytest.raises(APIResponseValidationError, match="alexaApiEndpoint"):
        await either.run(lambda c: c.customer_enablement.get(SKILL, token=TOKEN))
    assert [r.url.path for r in amazon.requests] == ["/v1/alexaApiEndpoint"]


# -- base_url -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("http://127.0.0.1:8080?x=1", id="query"),
        pytest.param("http://127.0.0.1:8080#f", id="fragment"),
        pytest.param("http://127.0.0.1:123616", id="port-past-65535"),
        pytest.param("http://127.0.0.1:0", id="port-0"),
        pytest.param("http://127.0.0.1:65534", id="no-room-for-eu-and-fe"),
    ],
)
async def test_a_base_url_whose_paths_would_go_astray_is_refused(
    base_url: str, either: Either, amazon: FakeAmazon
) -> None:
    """Paths are appended to base_url: after `?x=1` they became a query (GET /?x=1/_localexa/...);
    a port past 65535 wraps onto another port; port 0 passed as port 80."""
    with pytest.raises(ConfigurationError, match="base_url"):
        await either.run(lambda c: c.admin.health(), base_url=base_url, admin_key="k")
    assert amazon.requests == []


def test_a_refused_base_url_shows_no_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Endpoints.local("ftp://user:s3cret@127.0.0.1:8080")
    assert "s3cret" not in str(caught.value)
    assert "user:***@" in str(caught.value)


def test_the_last_ports_are_fine_when_eu_and_fe_are_given() -> None:
    endpoints = Endpoints.local("http://127.0.0.1:65535", eu_base_url="http://a:1", fe_base_url="http://a:2")
    assert (endpoints.alexa_na, endpoints.alexa_eu) == ("http://127.0.0.1:65535", "http://a:1")
