"""My Lights' resource server over HTTP, and the ChangeReport it sends after an app change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from localexa.samples.mylights import DeviceCloud
from localexa.skill import GrantTokens, exchange_grant_code, validate_event
from localexa.skill.clock import utc_now
from tests.skill.live import FakeAmazon, wait_for


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def bearer(cloud: DeviceCloud, user: str = "demo") -> dict[str, str]:
    return {"Authorization": f"Bearer {cloud.oauth.mint(user).access_token}"}


def test_lights_need_a_bearer_token(http: httpx.Client, mylights: str) -> None:
    missing = http.get(f"{mylights}/lights")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="mylights"'
    wrong = http.get(f"{mylights}/lights", headers={"Authorization": "Bearer mla.nope"})
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]


def test_a_token_without_the_lights_scope_is_403(
    http: httpx.Client, mylights: str, cloud: DeviceCloud
) -> None:
    token = cloud.oauth.mint("demo", scope="profile").access_token
    answer = http.get(f"{mylights}/lights", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]


def test_every_user_starts_with_kitchen_and_porch(
    http: httpx.Client, mylights: str, cloud: DeviceCloud
) -> None:
    lights = http.get(f"{mylights}/lights", headers=bearer(cloud)).json()["lights"]
    assert [(light["id"], light["name"], light["power"]) for light in lights] == [
        ("kitchen", "Kitchen", "OFF"),
        ("porch", "Porch", "OFF"),
    ]


def test_put_changes_one_light_of_one_user(http: httpx.Client, mylights: str, cloud: DeviceCloud) -> None:
    changes = {"power": "ON", "brightness": 40, "color": {"hue": 120, "saturation": 1, "brightness": 0.5}}
    light = http.put(f"{mylights}/lights/kitchen", json=changes, headers=bearer(cloud)).json()
    assert (light["power"], light["brightness"], light["color"]["hue"]) == ("ON", 40, 120)
    assert http.get(f"{mylights}/lights/kitchen", headers=bearer(cloud)).json() == light
    assert http.get(f"{mylights}/lights/kitchen", headers=bearer(cloud, "ann")).json()["power"] == "OFF"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"brightness": 101}, id="brightness"),
        pytest.param({"power": "on"}, id="power"),
        pytest.param({"colorTemperature": 500}, id="kelvin"),
        pytest.param({"color": {"hue": 10}}, id="color"),
        pytest.param({"colour": "red"}, id="unknown"),
    ],
)
def test_bad_values_are_400_and_change_nothing(
    http: httpx.Client, mylights: str, cloud: DeviceCloud, changes: dict[str, object]
) -> None:
    before = http.get(f"{mylights}/lights", headers=bearer(cloud)).json()
    answer = http.put(f"{mylights}/lights/kitchen", json={"power": "ON", **changes}, headers=bearer(cloud))
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_value")
    assert (
        http.put(f"{mylights}/lights", json={"power": "ON", **changes}, headers=bearer(cloud)).status_code
        == 400
    )
    assert http.get(f"{mylights}/lights", headers=bearer(cloud)).json() == before


def test_put_all_lights_and_unknown_light(http: httpx.Client, mylights: str, cloud: DeviceCloud) -> None:
    lights = http.put(f"{mylights}/lights", json={"power": "ON"}, headers=bearer(cloud)).json()["lights"]
    assert {light["power"] for light in lights} == {"ON"}
    assert http.get(f"{mylights}/lights/garage", headers=bearer(cloud)).status_code == 404
    assert http.put(f"{mylights}/lights/kitchen", content=b"[1]", headers=bearer(cloud)).status_code == 400


async def _link_alexa(cloud: DeviceCloud, amazon: FakeAmazon) -> GrantTokens:
    cloud.config.events_base_url = cloud.config.lwa_base_url = amazon.base_url
    cloud.set_alexa_credentials(amazon.client_id, amazon.client_secret)
    tokens = await exchange_grant_code("good-code", amazon.client_id, amazon.client_secret, amazon.base_url)
    cloud.save_event_tokens("demo", tokens)
    return tokens


async def test_an_app_change_sends_a_change_report(
    mylights: str, cloud: DeviceCloud, amazon: FakeAmazon
) -> None:
    tokens = await _link_alexa(cloud, amazon)
    async with httpx.AsyncClient() as http:
        await http.put(f"{mylights}/lights/porch", json={"power": "ON"}, headers=bearer(cloud))
    wait_for(lambda: len(cloud.sent_events) == 1)
    assert cloud.sent_events[0].status == 202
    event = amazon.calls("/v3/events")[0].json()
    assert validate_event(event).ok
    assert event["event"]["endpoint"] == {
        "endpointId": "porch",
        "scope": {"type": "BearerToken", "token": tokens.access_token},
    }
    change = event["event"]["payload"]["change"]
    assert change["cause"] == {"type": "APP_INTERACTION"}
    assert [(p["name"], p["value"]) for p in change["properties"]] == [("powerState", "ON")]
    assert "powerState" not in [p["name"] for p in event["context"]["properties"]]


async def test_expired_event_tokens_are_refreshed_and_kept(
    mylights: str, cloud: DeviceCloud, amazon: FakeAmazon
) -> None:
    tokens = await _link_alexa(cloud, amazon)
    stale = GrantTokens(tokens.access_token, tokens.refresh_token, utc_now() - timedelta(seconds=5))
    cloud.save_event_tokens("demo", stale)
    async with httpx.AsyncClient() as http:
        await http.put(f"{mylights}/lights/kitchen", json={"brightness": 10}, headers=bearer(cloud))
    wait_for(lambda: len(cloud.sent_events) == 1)
    fresh = cloud.event_tokens("demo")
    assert fresh is not None
    assert fresh.access_token != tokens.access_token
    assert amazon.calls("/v3/events")[0].headers["authorization"] == f"Bearer {fresh.access_token}"


async def test_a_refused_change_report_is_recorded(
    mylights: str, cloud: DeviceCloud, amazon: FakeAmazon
) -> None:
    await _link_alexa(cloud, amazon)
    amazon.gateway_status = 403
    async with httpx.AsyncClient() as http:
        await http.put(f"{mylights}/lights/kitchen", json={"power": "ON"}, headers=bearer(cloud))
    wait_for(lambda: len(cloud.sent_events) == 1)
    assert (cloud.sent_events[0].status, cloud.sent_events[0].error) == (403, "SKILL_DISABLED_EXCEPTION")


async def test_no_change_report_without_alexa_link_or_change(
    mylights: str, cloud: DeviceCloud, amazon: FakeAmazon
) -> None:
    async with httpx.AsyncClient() as http:
        await http.put(f"{mylights}/lights/kitchen", json={"power": "ON"}, headers=bearer(cloud))
        await _link_alexa(cloud, amazon)
        await http.put(f"{mylights}/lights/kitchen", json={"power": "ON"}, headers=bearer(cloud))  # no change
        await http.put(f"{mylights}/lights/kitchen", json={"power": "OFF"}, headers=bearer(cloud))
    wait_for(lambda: len(cloud.sent_events) == 1)
    assert len(amazon.calls("/v3/events")) == 1
