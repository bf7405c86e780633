"""My Lights' regional skill endpoints: the region an AcceptGrant came through picks the gateway
of the customer's events (`MyLightsConfig.events_base_urls`), the default endpoint the default one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import localexa.samples.mylights.__main__ as entry
from localexa.samples.mylights import DeviceCloud, MyLightsConfig, create_mylights_app, lambda_handler
from localexa.samples.mylights.__main__ import main
from localexa.samples.mylights.app import use_shared_cloud
from localexa.samples.mylights.lambda_handler import REMOTE_ENV
from localexa.skill import EVENTS_BASE_URLS, GrantTokens
from tests.skill.factories import accept_grant, header
from tests.skill.live import FakeAmazon

NA, EU = "http://127.0.0.1:8080", "http://127.0.0.1:8081"


def _tokens() -> GrantTokens:
    expires_at = datetime.now(UTC) + timedelta(hours=1)
    return GrantTokens(access_token="Atza|a", refresh_token="Atzr|r", expires_at=expires_at)


def test_the_gateway_follows_the_region_of_the_accept_grant() -> None:
    cloud = DeviceCloud(MyLightsConfig(events_base_url=NA, events_base_urls={"EU": EU}))
    cloud.set_alexa_credentials("client", "secret")
    cloud.save_event_tokens("demo", _tokens(), "EU")
    client = cloud.event_client("demo")
    assert client is not None
    assert client.base_url == EU
    cloud.save_event_tokens("demo", _tokens(), "FE")  # a region without a gateway of its own
    assert cloud.events_base_url("demo") == NA
    cloud.save_event_tokens("demo", _tokens())  # relinked through the default endpoint
    assert cloud.event_region("demo") is None
    assert cloud.events_base_url("demo") == NA


async def test_each_regions_endpoint_answers_and_others_are_404() -> None:
    app = create_mylights_app(MyLightsConfig())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mylights") as client:
        for path in ("/skill", "/skill/na", "/skill/eu", "/skill/fe"):
            answer = await client.post(path, content=b"not json")
            assert answer.status_code == 400, path  # the skill's own refusal: the route exists
        assert (await client.post("/skill/xx", content=b"{}")).status_code == 404


def test_the_command_line_names_each_regions_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run(*args: object, **kwargs: object) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(entry, "run_mylights", fake_run)
    main(["--eu-events-base-url", "http://eu.example:1"])
    assert seen == {
        "events_base_urls": {
            "NA": "http://127.0.0.1:8080",
            "EU": "http://eu.example:1",
            "FE": "http://127.0.0.1:8082",
        }
    }
    # localexa on another port: its EU and FE listeners follow it (they stayed 8081 and 8082).
    main(["--events-base-url", "http://127.0.0.1:27000"])
    assert seen["events_base_urls"] == {
        "NA": "http://127.0.0.1:27000",
        "EU": "http://127.0.0.1:27001",
        "FE": "http://127.0.0.1:27002",
    }
    main(["--events-base-url", "https://api.amazonalexa.com"])
    assert seen["events_base_urls"] == EVENTS_BASE_URLS  # Amazon's own three
    main(["--events-base-url", "https://gateway.example"])  # no port: one gateway for all
    assert seen["events_base_urls"] == {}


@pytest.fixture
def fresh_shared_cloud() -> Iterator[None]:
    yield
    use_shared_cloud(DeviceCloud())  # leave no test's cloud behind for the next


@pytest.mark.usefixtures("fresh_shared_cloud")
@pytest.mark.parametrize("forwarded", [False, True], ids=["in-process", "forwarded"])
def test_the_regional_lambda_handlers_accept_grants_for_their_region(
    cloud: DeviceCloud, amazon: FakeAmazon, mylights: str, forwarded: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`handler_eu` is the EU region's function: the customer's events then go to the EU gateway
    (in process, or handed to a running My Lights' `/skill/eu` with MYLIGHTS_URL)."""
    use_shared_cloud(cloud)
    if forwarded:
        monkeypatch.setenv(REMOTE_ENV, mylights)
    else:
        monkeypatch.delenv(REMOTE_ENV, raising=False)
    cloud.config.lwa_base_url = cloud.config.events_base_url = amazon.base_url
    cloud.config.events_base_urls = {"EU": EU}
    cloud.set_alexa_credentials(amazon.client_id, amazon.client_secret)
    amazon.codes.add("second-code")
    token = cloud.oauth.mint("demo").access_token
    granted = lambda_handler.handler_eu(accept_grant(token, "good-code"))
    assert header(granted)["name"] == "AcceptGrant.Response", granted
    assert cloud.event_region("demo") == "EU"
    assert cloud.events_base_url("demo") == EU
    relinked = lambda_handler.handler(accept_grant(token, "second-code"))  # the default endpoint's
    assert header(relinked)["name"] == "AcceptGrant.Response", relinked
    assert cloud.event_region("demo") is None
