"""The skills the evaluation tests run plans against, each a real HTTP server on 127.0.0.1.

- `mylights`: the My Lights sample as it ships (a correct skill).
- `dim_liar`: My Lights whose ReportState doubles any brightness under 50 % (a skill that
  misreports its state: only test cases that read a dim brightness back can catch it).
- `thermostat`: a thermostat written here with the skill kit, working in Celsius, with HEAT, COOL,
  AUTO and OFF and dual setpoints; `heat_only` lists only HEAT and OFF.
All three take My Lights' OAuth server for account linking and token checks.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.samples.mylights import DeviceCloud, MyLightsConfig, build_skill, create_mylights_app
from localexa.skill import (
    CallableValidator,
    InvalidValue,
    Message,
    SkillHandler,
    SkillRequest,
    capability,
    discover_response,
    discovery_endpoint,
    lower_setpoint,
    response,
    state_report,
    target_setpoint,
    temperature,
    thermostat_mode,
    upper_setpoint,
)
from tests.servers import serve_in_thread

CLIENT_ID = "alexa-skill"
CLIENT_SECRET = "mylights-secret"
REDIRECT = "https://app.example.com/alexa"
USER = "demo"


@dataclass
class Pace:
    delay: float


@dataclass
class SkillServer:
    url: str
    cloud: DeviceCloud
    answered: list[str] = field(default_factory=list)
    #: Seconds the skill waits before each answer; a test may change it mid-run (`mylights` only).
    pace: Pace = field(default_factory=lambda: Pace(0.0))

    def account_linking(self) -> dict[str, Any]:
        return {
            "type": "AUTH_CODE",
            "authorizationUrl": f"{self.url}/authorize",
            "accessTokenUrl": f"{self.url}/token",
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["lights"],
            "redirectUrls": [REDIRECT],
        }

    def auth_code(self) -> str:
        return self.cloud.oauth.issue_code(USER, CLIENT_ID, REDIRECT, "lights")


def _cloud() -> DeviceCloud:
    return DeviceCloud(
        MyLightsConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, send_change_reports=False)
    )


def _with_skill(
    cloud: DeviceCloud, skill: SkillHandler, answer_hook: Any = None, delay: float = 0.0
) -> Starlette:
    """My Lights' OAuth and resource routes, with `skill` answering at /skill (after `delay` s,
    `app.state.pace.delay` from then on)."""
    app = create_mylights_app(cloud=cloud)
    answered: list[str] = []
    pace = Pace(delay)

    async def endpoint(request: Request) -> Response:
        event = json.loads(await request.body())
        if pace.delay:
            await asyncio.sleep(pace.delay)
        answer = await skill.handle(event)
        header = event["directive"]["header"]
        answered.append(f"{header['namespace']}.{header['name']}")
        if answer_hook is not None:
            answer = answer_hook(event, answer)
        return JSONResponse(answer)

    app.router.routes.insert(0, Route("/skill", endpoint, methods=["POST"]))
    app.state.answered = answered
    app.state.pace = pace
    return app


@contextmanager
def mylights(delay: float = 0.0) -> Iterator[SkillServer]:
    """My Lights; `delay` makes every answer slow (a run long enough to kill a server mid-way),
    until the test sets `pace.delay` again."""
    cloud = _cloud()
    app = _with_skill(cloud, build_skill(cloud), delay=delay)
    with serve_in_thread(app) as url:
        yield SkillServer(url, cloud, app.state.answered, app.state.pace)


def _double_dim_brightness(event: dict[str, Any], answer: Message) -> Message:
    if event["directive"]["header"]["name"] != "ReportState":
        return answer
    for prop in answer.get("context", {}).get("properties", []):
        if prop["name"] == "brightness" and prop["value"] < 50:
            prop["value"] = prop["value"] * 2
    return answer


@contextmanager
def dim_liar() -> Iterator[SkillServer]:
    cloud = _cloud()
    app = _with_skill(cloud, build_skill(cloud), _double_dim_brightness)
    with serve_in_thread(app) as url:
        yield SkillServer(url, cloud, app.state.answered)


def _kitchen_twice(event: dict[str, Any], answer: Message) -> Message:
    if event["directive"]["header"]["name"] != "Discover":
        return answer
    endpoints = answer["event"]["payload"]["endpoints"]
    endpoints.extend([dict(e) for e in endpoints if e["endpointId"] == "kitchen"])
    return answer


@contextmanager
def kitchen_twice() -> Iterator[SkillServer]:
    """My Lights whose Discover.Response lists the kitchen light twice."""
    cloud = _cloud()
    app = _with_skill(cloud, build_skill(cloud), _kitchen_twice)
    with serve_in_thread(app) as url:
        yield SkillServer(url, cloud, app.state.answered)


@contextmanager
def failing_after_discovery() -> Iterator[SkillServer]:
    """My Lights that discovers, then answers every other directive with HTTP 500."""
    cloud = _cloud()
    skill = build_skill(cloud)
    app = _with_skill(cloud, skill)

    async def refusing(request: Request) -> Response:
        event = json.loads(await request.body())
        if event["directive"]["header"]["namespace"] == "Alexa.Discovery":
            return JSONResponse(await skill.handle(event))
        return Response("boom", status_code=500)

    app.router.routes.insert(0, Route("/skill", refusing, methods=["POST"]))
    with serve_in_thread(app) as url:
        yield SkillServer(url, cloud, app.state.answered)


# -- a thermostat ---------------------------------------------------------------------------------

THERMOSTAT_ID = "hallway-thermostat"


def _celsius(value: dict[str, Any]) -> float:
    number, scale = float(value["value"]), value.get("scale", "CELSIUS")
    return {"CELSIUS": number, "FAHRENHEIT": (number - 32) * 5 / 9, "KELVIN": number - 273.15}[scale]


def _celsius_delta(value: dict[str, Any]) -> float:
    number = float(value["value"])
    return number * 5 / 9 if value.get("scale") == "FAHRENHEIT" else number


@dataclass
class Thermostat:
    mode: str = "OFF"
    target: float = 20.0
    lower: float = 18.0
    upper: float = 25.0

    def properties(self) -> list[dict[str, Any]]:
        return [
            thermostat_mode(self.mode),
            target_setpoint(round(self.target, 2), "CELSIUS"),
            lower_setpoint(round(self.lower, 2), "CELSIUS"),
            upper_setpoint(round(self.upper, 2), "CELSIUS"),
            temperature(21.5, "CELSIUS"),
        ]


def thermostat_skill(cloud: DeviceCloud, modes: list[str]) -> SkillHandler:
    skill = SkillHandler(CallableValidator(cloud.check_token))
    device = Thermostat()

    @skill.on("Alexa.Discovery", "Discover")
    def discover(request: SkillRequest) -> Message:
        endpoint = discovery_endpoint(
            THERMOSTAT_ID,
            "Hallway",
            [
                capability(
                    "Alexa.ThermostatController",
                    ["targetSetpoint", "lowerSetpoint", "upperSetpoint", "thermostatMode"],
                    configuration={"supportedModes": modes, "supportsScheduling": False},
                ),
                capability("Alexa.TemperatureSensor", ["temperature"]),
            ],
            description="A test thermostat",
            manufacturer_name="Tests",
            display_categories=["THERMOSTAT"],
        )
        return discover_response(request.directive, [endpoint])

    @skill.on("Alexa", "ReportState")
    def report(request: SkillRequest) -> Message:
        return state_report(request.directive, device.properties())

    @skill.on("Alexa.ThermostatController", "SetThermostatMode")
    def set_mode(request: SkillRequest) -> Message:
        mode = request.payload["thermostatMode"]["value"]
        if mode not in modes:
            raise InvalidValue(f"{mode} is not supported.")
        device.mode = mode
        return response(request.directive, device.properties())

    @skill.on("Alexa.ThermostatController", "SetTargetTemperature")
    def set_target(request: SkillRequest) -> Message:
        payload = request.payload
        if "targetSetpoint" in payload:
            device.target = _celsius(payload["targetSetpoint"])
        if "lowerSetpoint" in payload:
            device.lower = _celsius(payload["lowerSetpoint"])
        if "upperSetpoint" in payload:
            device.upper = _celsius(payload["upperSetpoint"])
        return response(request.directive, device.properties())

    @skill.on("Alexa.ThermostatController", "AdjustTargetTemperature")
    def adjust_target(request: SkillRequest) -> Message:
        device.target += _celsius_delta(request.payload["targetSetpointDelta"])
        return response(request.directive, device.properties())

    return skill


@contextmanager
def thermostat(modes: tuple[str, ...] = ("HEAT", "COOL", "AUTO", "OFF")) -> Iterator[SkillServer]:
    cloud = _cloud()
    app = _with_skill(cloud, thermostat_skill(cloud, list(modes)))
    with serve_in_thread(app) as url:
        yield SkillServer(url, cloud, app.state.answered)
