"""The My Lights skill through its HTTP endpoint and as a Lambda-style handler."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from localexa.samples.mylights import DeviceCloud, handler, use_shared_cloud
from localexa.samples.mylights.lambda_handler import REMOTE_ENV
from localexa.skill import validate_response
from tests.skill.factories import accept_grant, directive, discover, header, payload, properties
from tests.skill.live import FakeAmazon, wait_for


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


class Alexa:
    """Sends directives to the skill endpoint and checks every answer with validate_response."""

    def __init__(self, http: httpx.Client, base: str, token: str) -> None:
        self.http, self.base, self.token = http, base, token

    def send(self, event: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(f"{self.base}/skill", json=event)
        assert answer.status_code == 200
        message: dict[str, Any] = answer.json()
        verdict = validate_response(event, message)
        assert verdict.ok, verdict.problems
        return message

    def to(self, endpoint: str, namespace: str, name: str, **body: Any) -> dict[str, Any]:
        return self.send(directive(namespace, name, self.token, endpoint_id=endpoint, payload=body))


@pytest.fixture
def alexa(http: httpx.Client, mylights: str, cloud: DeviceCloud) -> Alexa:
    return Alexa(http, mylights, cloud.oauth.mint("demo").access_token)


def test_discover_lists_both_lights_with_every_interface(alexa: Alexa) -> None:
    found = alexa.send(discover(alexa.token))
    endpoints = payload(found)["endpoints"]
    assert [(e["endpointId"], e["friendlyName"], e["displayCategories"]) for e in endpoints] == [
        ("kitchen", "Kitchen", ["LIGHT"]),
        ("porch", "Porch", ["LIGHT"]),
    ]
    assert [c["interface"] for c in endpoints[0]["capabilities"]] == [
        "Alexa",
        "Alexa.PowerController",
        "Alexa.BrightnessController",
        "Alexa.ColorController",
        "Alexa.ColorTemperatureController",
        "Alexa.EndpointHealth",
    ]


def test_turn_on_then_report_state_round_trip(alexa: Alexa, http: httpx.Client, mylights: str) -> None:
    turned = alexa.to("kitchen", "Alexa.PowerController", "TurnOn")
    assert properties(turned)["Alexa.PowerController.powerState"] == "ON"
    state = alexa.to("kitchen", "Alexa", "ReportState")
    assert header(state)["name"] == "StateReport"
    assert properties(state) == {
        "Alexa.PowerController.powerState": "ON",
        "Alexa.BrightnessController.brightness": 100,
        "Alexa.ColorController.color": {"hue": 0.0, "saturation": 0.0, "brightness": 1.0},
        "Alexa.ColorTemperatureController.colorTemperatureInKelvin": 2700,
        "Alexa.EndpointHealth.connectivity": {"value": "OK"},
    }
    light = http.get(f"{mylights}/lights/kitchen", headers={"Authorization": f"Bearer {alexa.token}"}).json()
    assert light["power"] == "ON"  # the device cloud's own API sees what Alexa did
    assert properties(alexa.to("porch", "Alexa", "ReportState"))["Alexa.PowerController.powerState"] == "OFF"


def test_brightness_color_and_white_shades(alexa: Alexa) -> None:
    set_to = alexa.to("porch", "Alexa.BrightnessController", "SetBrightness", brightness=30)
    assert properties(set_to)["Alexa.BrightnessController.brightness"] == 30
    adjusted = alexa.to("porch", "Alexa.BrightnessController", "AdjustBrightness", brightnessDelta=-50)
    assert properties(adjusted)["Alexa.BrightnessController.brightness"] == 0
    hsb = {"hue": 350.5, "saturation": 0.7, "brightness": 0.6}
    colored = alexa.to("porch", "Alexa.ColorController", "SetColor", color=hsb)
    assert properties(colored)["Alexa.ColorController.color"] == hsb
    kelvin = "Alexa.ColorTemperatureController.colorTemperatureInKelvin"
    ctc = "Alexa.ColorTemperatureController"
    assert (
        properties(alexa.to("porch", ctc, "SetColorTemperature", colorTemperatureInKelvin=5000))[kelvin]
        == 5000
    )
    assert properties(alexa.to("porch", ctc, "IncreaseColorTemperature"))[kelvin] == 5500
    assert properties(alexa.to("porch", ctc, "DecreaseColorTemperature"))[kelvin] == 4000


@pytest.mark.parametrize(
    ("namespace", "name", "body", "error_type"),
    [
        pytest.param(
            "Alexa.BrightnessController", "SetBrightness", {"brightness": 150}, "VALUE_OUT_OF_RANGE", id="150"
        ),
        pytest.param(
            "Alexa.BrightnessController", "SetBrightness", {"brightness": "x"}, "INVALID_VALUE", id="text"
        ),
        pytest.param(
            "Alexa.ColorController", "SetColor", {"color": {"hue": 500}}, "INVALID_VALUE", id="color"
        ),
        pytest.param(
            "Alexa.ColorTemperatureController",
            "SetColorTemperature",
            {"colorTemperatureInKelvin": 20000},
            "VALUE_OUT_OF_RANGE",
            id="kelvin",
        ),
        pytest.param("Alexa.LockController", "Lock", {}, "INVALID_DIRECTIVE", id="unsupported"),
    ],
)
def test_bad_requests_answer_alexa_errors(
    alexa: Alexa, namespace: str, name: str, body: dict[str, Any], error_type: str
) -> None:
    answer = alexa.to("kitchen", namespace, name, **body)
    assert payload(answer)["type"] == error_type


def test_range_error_tells_the_valid_range(alexa: Alexa) -> None:
    answer = alexa.to("kitchen", "Alexa.BrightnessController", "SetBrightness", brightness=150)
    assert payload(answer)["validRange"] == {"minimumValue": 0, "maximumValue": 100}


def test_unknown_and_offline_lights(alexa: Alexa, cloud: DeviceCloud) -> None:
    assert payload(alexa.to("garage", "Alexa.PowerController", "TurnOn"))["type"] == "NO_SUCH_ENDPOINT"
    cloud.update_light("demo", "porch", {"reachable": False})
    assert payload(alexa.to("porch", "Alexa.PowerController", "TurnOn"))["type"] == "ENDPOINT_UNREACHABLE"
    state = alexa.to("porch", "Alexa", "ReportState")
    assert properties(state)["Alexa.EndpointHealth.connectivity"] == {"value": "UNREACHABLE"}


def test_expired_and_revoked_tokens(alexa: Alexa, cloud: DeviceCloud) -> None:
    cloud.oauth.expire(alexa.token)
    expired = alexa.to("kitchen", "Alexa.PowerController", "TurnOn")
    assert payload(expired)["type"] == "EXPIRED_AUTHORIZATION_CREDENTIAL"
    fresh = cloud.oauth.mint("demo").access_token
    cloud.oauth.revoke(fresh)
    alexa.token = fresh
    assert payload(alexa.to("kitchen", "Alexa.PowerController", "TurnOn"))["type"] == (
        "INVALID_AUTHORIZATION_CREDENTIAL"
    )
    assert cloud.light("demo", "kitchen").power == "OFF"


def test_a_closed_account_is_invalid(alexa: Alexa, cloud: DeviceCloud) -> None:
    del cloud.config.users["demo"]
    assert payload(alexa.send(discover(alexa.token)))["type"] == "INVALID_AUTHORIZATION_CREDENTIAL"


def test_accept_grant_exchanges_the_code_then_app_changes_are_reported(
    alexa: Alexa, http: httpx.Client, mylights: str, cloud: DeviceCloud, amazon: FakeAmazon
) -> None:
    cloud.config.lwa_base_url = cloud.config.events_base_url = amazon.base_url
    no_credentials = alexa.send(accept_grant(alexa.token, "good-code"))
    assert payload(no_credentials)["type"] == "ACCEPT_GRANT_FAILED"
    cloud.set_alexa_credentials(amazon.client_id, amazon.client_secret)
    granted = alexa.send(accept_grant(alexa.token, "good-code"))
    assert header(granted)["name"] == "AcceptGrant.Response"
    tokens = cloud.event_tokens("demo")
    assert tokens is not None
    assert tokens.access_token in amazon.live_access
    replayed = alexa.send(accept_grant(alexa.token, "good-code"))
    assert payload(replayed)["type"] == "ACCEPT_GRANT_FAILED"
    http.put(
        f"{mylights}/lights/kitchen", json={"power": "ON"}, headers={"Authorization": f"Bearer {alexa.token}"}
    )
    wait_for(lambda: len(amazon.calls("/v3/events")) == 1)
    assert amazon.calls("/v3/events")[0].json()["event"]["header"]["name"] == "ChangeReport"


def test_skill_endpoint_refuses_what_is_not_json(http: httpx.Client, mylights: str) -> None:
    assert http.post(f"{mylights}/skill", content=b"{not json").status_code == 400
    assert http.get(f"{mylights}/health").json() == {"status": "ok"}


@pytest.fixture
def fresh_shared_cloud() -> Iterator[None]:
    yield
    use_shared_cloud(DeviceCloud())  # leave no test's cloud behind for the next


@pytest.mark.usefixtures("fresh_shared_cloud")
def test_lambda_style_handler_uses_the_in_process_cloud(cloud: DeviceCloud) -> None:
    use_shared_cloud(cloud)
    token = cloud.oauth.mint("demo").access_token
    module, _, function = "python:localexa.samples.mylights.lambda_handler:handler".removeprefix(
        "python:"
    ).partition(":")
    resolved = getattr(importlib.import_module(module), function)
    assert resolved is handler
    event = directive("Alexa.PowerController", "TurnOn", token, endpoint_id="porch")
    answer = resolved(event, None)
    assert validate_response(event, answer).ok
    assert cloud.light("demo", "porch").power == "ON"
    other = DeviceCloud()
    use_shared_cloud(other)  # the handler follows the shared cloud
    assert payload(handler(event, None))["type"] == "INVALID_AUTHORIZATION_CREDENTIAL"


@pytest.mark.usefixtures("fresh_shared_cloud")
def test_lambda_style_handler_can_front_a_remote_my_lights(
    mylights: str, cloud: DeviceCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_shared_cloud(DeviceCloud())  # a different process would have its own, empty cloud
    monkeypatch.setenv(REMOTE_ENV, mylights)
    event = directive(
        "Alexa.PowerController", "TurnOn", cloud.oauth.mint("demo").access_token, endpoint_id="porch"
    )
    assert validate_response(event, handler(event, None)).ok
    assert cloud.light("demo", "porch").power == "ON"
