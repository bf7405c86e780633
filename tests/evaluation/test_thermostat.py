"""Thermostat plans against a thermostat written with the skill kit (it works in Celsius, so the
Fahrenheit plans also check the evaluator's temperature conversion)."""

from __future__ import annotations

import httpx
import pytest

from tests.evaluation.helpers import linked_developer, run
from tests.evaluation.skills import THERMOSTAT_ID, SkillServer
from tests.factories import Admin

THERMOSTAT_PLANS = [
    "ThermostatHeat_CELSIUS",
    "ThermostatHeat_FAHRENHEIT",
    "ThermostatCool_CELSIUS",
    "ThermostatCool_FAHRENHEIT",
    "ThermostatAuto",
]


async def test_a_thermostat_passes_every_thermostat_plan(
    client: httpx.AsyncClient, admin: Admin, thermostat: SkillServer
) -> None:
    dev = await linked_developer(client, admin, thermostat)
    for plan in THERMOSTAT_PLANS:
        body, results = await run(client, dev, plan, THERMOSTAT_ID)
        assert body["status"] == "PASSED", (plan, [r for r in results if r["status"] != "PASSED"])
        assert body["metrics"][plan]["passedTestCases"] == len(results) > 0
    # Fahrenheit plans compare a Celsius report after conversion: the report stays Celsius.
    _, results = await run(client, dev, "ThermostatHeat_FAHRENHEIT", THERMOSTAT_ID)
    reported = results[0]["actualCapabilityStates"]
    setpoint = next(s for s in reported if s["name"] == "targetSetpoint")
    assert setpoint["value"]["scale"] == "CELSIUS"
    assert setpoint["value"]["value"] == pytest.approx((70 - 32) * 5 / 9, abs=0.01)


async def test_a_mode_the_thermostat_lacks_is_capability_not_supported(
    client: httpx.AsyncClient, admin: Admin, heat_only: SkillServer
) -> None:
    dev = await linked_developer(client, admin, heat_only)
    body, results = await run(client, dev, "ThermostatCool_CELSIUS", THERMOSTAT_ID)
    assert body["status"] == "ERROR"
    assert body["error"]["code"] == "CAPABILITY_NOT_SUPPORTED"
    assert "COOL" in body["error"]["message"]
    assert results == []
    body, _ = await run(client, dev, "ThermostatHeat_CELSIUS", THERMOSTAT_ID)
    assert body["status"] == "PASSED"
