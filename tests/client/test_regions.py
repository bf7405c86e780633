"""Customer region handling as skill-enablement-rest-api-reference "Get API endpoint" prescribes:
ask /v1/alexaApiEndpoint, call each endpoint in sequence until one succeeds, and after a 5xx from
it call NA, EU and FE in sequence."""

from __future__ import annotations

import httpx
import pytest

from localexa.client import (
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    Client,
    ConfigurationError,
    Endpoints,
    NotFoundError,
    PermissionDeniedError,
)
from tests.client.conftest import BASE, Either, FakeAmazon, body, reply

SKILL = "amzn1.ask.skill.1"
PATH = f"/v1/users/~current/skills/{SKILL}/enablement"
RECORD = {
    "skill": {"id": SKILL, "stage": "development"},
    "user": {"id": "amzn1.ask.account.1"},
    "accountLink": {"status": "LINKED"},
    "status": "ENABLED",
}
NA, EU, FE = "http://127.0.0.1:8080", "http://127.0.0.1:8081", "http://127.0.0.1:8082"


def na_then_eu(amazon: FakeAmazon) -> None:
    """`/v1/alexaApiEndpoint` lists the NA endpoint, then the EU one."""
    amazon.on(
        "GET", f"{NA}/v1/alexaApiEndpoint", reply(200, {"endpoints": ["127.0.0.1:8080", "127.0.0.1:8081"]})
    )


def hosts(amazon: FakeAmazon, path: str = PATH) -> list[str]:
    return [f"{r.url.host}:{r.url.port}" for r in amazon.calls(path)]


async def test_bare_host_port_entries_get_the_clients_scheme(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("GET", f"{NA}/v1/alexaApiEndpoint", reply(200, {"endpoints": ["127.0.0.1:8081"]}))
    amazon.on("POST", f"{EU}{PATH}", reply(201, RECORD))
    record = await either.run(
        lambda c: c.customer_enablement.enable_and_link(
            SKILL, auth_code="abc", redirect_uri="https://app.example.com/cb", token="Atza|customer"
        )
    )
    assert record.status == "ENABLED"
    assert record.account_link is not None
    assert record.account_link.status == "LINKED"
    (sent,) = amazon.calls(PATH)
    assert sent.url.scheme == "http"
    assert sent.headers["Authorization"] == "Bearer Atza|customer"
    assert body(sent) == {
        "stage": "development",
        "accountLinkRequest": {
            "type": "AUTH_CODE",
            "authCode": "abc",
            "redirectUri": "https://app.example.com/cb",
        },
    }
    (discovery,) = amazon.calls("/v1/alexaApiEndpoint")
    assert discovery.headers["Authorization"] == "Bearer Atza|customer"


async def test_each_endpoint_is_tried_in_sequence_until_one_succeeds(
    either: Either, amazon: FakeAmazon
) -> None:
    amazon.on(
        "GET",
        f"{NA}/v1/alexaApiEndpoint",
        reply(200, {"endpoints": ["127.0.0.1:8082", "127.0.0.1:8080", "127.0.0.1:8081"]}),
    )
    amazon.on("GET", f"{FE}{PATH}", reply(404, {"message": "Not enabled here."}))
    amazon.on("GET", f"{NA}{PATH}", reply(200, RECORD))
    amazon.on("GET", f"{EU}{PATH}", reply(200, RECORD))
    record = await either.run(lambda c: c.customer_enablement.get(SKILL, token="Atza|c"))
    assert record.user.id == "amzn1.ask.account.1"
    assert hosts(amazon) == ["127.0.0.1:8082", "127.0.0.1:8080"]  # EU never asked


async def test_a_5xx_from_discovery_tries_na_eu_fe_in_order(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on("GET", f"{NA}/v1/alexaApiEndpoint", reply(500, {"message": "boom"}))
    amazon.on("DELETE", f"{NA}{PATH}", reply(404, {"message": "Not here."}))
    amazon.on("DELETE", f"{EU}{PATH}", reply(403, {"message": "Not here either."}))
    amazon.on("DELETE", f"{FE}{PATH}", reply(204))
    await either.run(lambda c: c.customer_enablement.disable(SKILL, token="Atza|c"))
    assert hosts(amazon) == ["127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:8082"]
    assert len(amazon.calls("/v1/alexaApiEndpoint")) == 3  # discovery itself was retried first


async def test_a_4xx_from_discovery_is_raised(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("GET", f"{NA}/v1/alexaApiEndpoint", reply(401, {"message": "The token is invalid."}))
    with pytest.raises(AuthenticationError, match="The token is invalid"):
        await either.run(lambda c: c.customer_enablement.get(SKILL, token="bad"))
    assert amazon.calls(PATH) == []


async def test_the_telling_error_wins_when_every_endpoint_fails(either: Either, amazon: FakeAmazon) -> None:
    na_then_eu(amazon)
    amazon.on("POST", f"{NA}{PATH}", reply(404, {"message": "Unknown customer in this region."}))
    amazon.on("POST", f"{EU}{PATH}", reply(400, {"message": "Invalid account linking credentials"}))
    with pytest.raises(BadRequestError, match="Invalid account linking credentials"):
        await either.run(
            lambda c: c.customer_enablement.enable_and_link(
                SKILL, auth_code="x", redirect_uri="https://a/cb", token="t"
            )
        )


async def test_among_region_mismatches_a_404_wins(either: Either, amazon: FakeAmazon) -> None:
    # The customer's own region says "not enabled" (404); the others only "wrong region" (403).
    na_then_eu(amazon)
    amazon.on("GET", f"{NA}{PATH}", reply(404, {"message": "na"}))
    amazon.on("GET", f"{EU}{PATH}", reply(403, {"message": "eu"}))
    with pytest.raises(NotFoundError, match="na"):
        await either.run(lambda c: c.customer_enablement.get(SKILL, token="t"))


async def test_after_a_5xx_lookup_the_own_regions_404_wins_over_the_others_403(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on("GET", f"{NA}/v1/alexaApiEndpoint", reply(503, {"message": "down"}))
    amazon.on("GET", f"{NA}{PATH}", reply(403, {"message": "registered in the EU region"}))
    amazon.on("GET", f"{EU}{PATH}", reply(404, {"message": "not enabled for this customer"}))
    amazon.on("GET", f"{FE}{PATH}", reply(403, {"message": "registered in the EU region"}))
    with pytest.raises(NotFoundError, match="not enabled for this customer"):
        await either.run(lambda c: c.customer_enablement.get(SKILL, token="t"))
    assert hosts(amazon) == ["127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:8082"]


async def test_only_wrong_region_answers_raise_the_first(either: Either, amazon: FakeAmazon) -> None:
    na_then_eu(amazon)
    amazon.on("GET", f"{NA}{PATH}", reply(403, {"message": "na"}))
    amazon.on("GET", f"{EU}{PATH}", reply(403, {"message": "eu"}))
    with pytest.raises(PermissionDeniedError, match="na"):
        await either.run(lambda c: c.customer_enablement.get(SKILL, token="t"))


def _lost_answer(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out reading the answer", request=request)  # the request was sent


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)  # nothing was sent


async def test_a_link_whose_answer_was_lost_is_raised_and_not_sent_to_another_region(
    either: Either, amazon: FakeAmazon
) -> None:
    """The customer's own region may have linked the account (review of 2026-12-07): the client
    raised the next region's 403 ("registered in the NA region"), the opposite of what the caller
    needed to know, and had sent the spent authCode on to that region."""
    na_then_eu(amazon)
    amazon.on("POST", f"{NA}{PATH}", _lost_answer)
    amazon.on("POST", f"{EU}{PATH}", reply(403, {"message": "registered in the NA region"}))
    with pytest.raises(APITimeoutError) as raised:
        await either.run(
            lambda c: c.customer_enablement.enable_and_link(
                SKILL, auth_code="x", redirect_uri="https://a/cb", token="t"
            )
        )
    assert raised.value.sent
    assert hosts(amazon) == ["127.0.0.1:8080"]


async def test_a_read_whose_answer_was_lost_wins_over_other_regions_mismatches(
    either: Either, amazon: FakeAmazon
) -> None:
    na_then_eu(amazon)
    amazon.on("GET", f"{NA}{PATH}", _lost_answer)
    amazon.on("GET", f"{EU}{PATH}", reply(403, {"message": "registered in the NA region"}))
    with pytest.raises(APITimeoutError):
        await either.run(lambda c: c.customer_enablement.get(SKILL, token="t"), max_retries=0)
    assert hosts(amazon) == ["127.0.0.1:8080", "127.0.0.1:8081"]  # a read may try every endpoint


async def test_a_link_refused_a_connection_goes_on_to_the_next_endpoint(
    either: Either, amazon: FakeAmazon
) -> None:
    na_then_eu(amazon)
    amazon.on("POST", f"{NA}{PATH}", _refused)
    amazon.on("POST", f"{EU}{PATH}", reply(201, RECORD))
    record = await either.run(
        lambda c: c.customer_enablement.enable_and_link(
            SKILL, auth_code="x", redirect_uri="https://a/cb", token="t"
        ),
        max_retries=0,
    )
    assert record.status == "ENABLED"
    assert hosts(amazon) == ["127.0.0.1:8080", "127.0.0.1:8081"]


async def test_an_explicit_endpoint_skips_discovery(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("GET", f"{FE}{PATH}", reply(404, {"message": "Skill not enabled."}))
    with pytest.raises(NotFoundError):
        await either.run(lambda c: c.customer_enablement.get(SKILL, token="t", endpoint="127.0.0.1:8082"))
    assert amazon.calls("/v1/alexaApiEndpoint") == []


async def test_api_endpoints_are_answered_as_given(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("GET", f"{NA}/v1/alexaApiEndpoint", reply(200, {"endpoints": ["api.eu.amazonalexa.com"]}))
    assert await either.run(lambda c: c.customer_enablement.api_endpoints(token="t")) == [
        "api.eu.amazonalexa.com"
    ]


def test_amazon_entries_resolve_to_https() -> None:
    endpoints = Endpoints()
    assert endpoints.resolve_alexa_endpoint("api.eu.amazonalexa.com") == "https://api.eu.amazonalexa.com"
    assert endpoints.resolve_alexa_endpoint("https://x.example/") == "https://x.example"
    assert endpoints.resolve_alexa_endpoint("api.fe.amazon.com") == "https://api.fe.amazonalexa.com"


def test_amazon_entries_resolve_to_the_local_regional_listeners() -> None:
    """A localexa reached through a hosts-file entry answers Amazon's host names: a client built
    on `base_url` sends the call to its own regional listener, never to Amazon over plain HTTP."""
    endpoints = Endpoints.local("http://127.0.0.1:9000")
    assert endpoints.resolve_alexa_endpoint("api.amazonalexa.com") == "http://127.0.0.1:9000"
    assert endpoints.resolve_alexa_endpoint("api.eu.amazonalexa.com") == "http://127.0.0.1:9001"
    assert endpoints.resolve_alexa_endpoint("API.FE.AMAZONALEXA.COM.") == "http://127.0.0.1:9002"
    assert endpoints.resolve_alexa_endpoint("api.fe.amazon.com") == "http://127.0.0.1:9002"
    assert endpoints.resolve_alexa_endpoint("127.0.0.1:9001") == "http://127.0.0.1:9001"


def test_on_amazon_the_customer_call_goes_to_the_answered_host() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/v1/alexaApiEndpoint":
            return httpx.Response(200, json={"endpoints": ["api.fe.amazonalexa.com"]})
        return httpx.Response(200, json=RECORD)

    with Client(transport=httpx.MockTransport(handler)) as client:
        client.customer_enablement.get(SKILL, token="t")
    assert seen == [
        "https://api.amazonalexa.com/v1/alexaApiEndpoint",
        f"https://api.fe.amazonalexa.com{PATH}",
    ]


async def test_admin_region_arguments_take_any_case(either: Either, amazon: FakeAmazon) -> None:
    """`faults.create(region="eu")`, `customers.create(region="eu")` and the journal's filter send
    `EU`, as `events.send` and the CLI take any case; an unknown region raises before any request
    (both were the server's 400, and `XX` went to the server; QA of 2026-12-05)."""
    amazon.on("POST", f"{BASE}/_localexa/faults", reply(201, {"faultId": "fault-1"}))
    customer = {"userId": "amzn1.account.1", "name": "A", "email": "a@example.com", "region": "EU"}
    amazon.on("POST", f"{BASE}/_localexa/customers", reply(201, customer))
    amazon.on("GET", f"{BASE}/_localexa/journal", reply(200, {"entries": []}))
    options = {"admin_key": "k"}
    await either.run(lambda c: c.admin.faults.create(path="/x", status=503, region="eu"), **options)
    await either.run(
        lambda c: c.admin.customers.create(name="A", email="a@example.com", password="pw", region="eu"),
        **options,
    )
    await either.run(lambda c: c.admin.journal.list(region="fe"), **options)
    sent = [r for r in amazon.requests if r.url.path.startswith("/_localexa/")]
    assert body(sent[0])["region"] == "EU"
    assert body(sent[1])["region"] == "EU"
    assert sent[2].url.params["region"] == "FE"
    with pytest.raises(ConfigurationError):
        await either.run(lambda c: c.admin.faults.create(path="/x", status=503, region="XX"), **options)
    assert len([r for r in amazon.requests if r.url.path.startswith("/_localexa/")]) == 3
