"""My Lights, a correct skill, passes every plan it supports; a skill that misreports its state
fails exactly the test cases that read the misreported value back."""

from __future__ import annotations

import httpx
import pytest

from localexa.server.evaluation.plans import plan_id_for
from tests.evaluation.helpers import linked_developer, run
from tests.evaluation.skills import SkillServer
from tests.factories import Admin

LIGHT_PLANS = {
    "PowerController": 4,
    "BrightnessController": 6,
    "ColorController": 6,
    "ColorTemperatureController": 6,
}


async def test_mylights_passes_every_plan_it_supports(
    client: httpx.AsyncClient, admin: Admin, mylights: SkillServer
) -> None:
    dev = await linked_developer(client, admin, mylights)
    for plan, count in LIGHT_PLANS.items():
        body, results = await run(client, dev, plan, "kitchen")
        assert body["status"] == "PASSED", (plan, body, [r for r in results if r["status"] != "PASSED"])
        assert body["metrics"] == {
            plan: {
                "totalTestCases": count,
                "passedTestCases": count,
                "failedTestCases": 0,
                "errorTestCases": 0,
            }
        }
        assert body["input"] == {
            "capabilityTestPlan": {"id": plan_id_for(plan)},
            "endpoint": {"endpointId": "kitchen"},
            "stage": "development",
        }
        assert body["startTimestamp"] <= body["endTimestamp"]
        assert "error" not in body
        assert [r["status"] for r in results] == ["PASSED"] * count
        first = results[0]
        assert first["directive"]["header"]["payloadVersion"] == "3"
        assert first["directive"]["endpoint"]["endpointId"] == "kitchen"
        assert first["actualResponse"]["event"]["header"]["name"] == "Response"
        assert first["expectedResponse"]["event"]["header"] == {
            "namespace": "Alexa",
            "name": "Response",
            "payloadVersion": "3",
        }
        expected_keys = {(s["namespace"], s["name"]) for s in first["expectedCapabilityStates"]}
        assert {(s["namespace"], s["name"]) for s in first["actualCapabilityStates"]} == expected_keys
    # The run really drove the skill: set-ups, directives under test and ReportState.
    assert "Alexa.BrightnessController.AdjustBrightness" in mylights.answered
    assert "Alexa.ReportState" in mylights.answered


async def test_a_skill_that_misreports_fails_exactly_the_affected_cases(
    client: httpx.AsyncClient, admin: Admin, dim_liar: SkillServer
) -> None:
    dev = await linked_developer(client, admin, dim_liar)
    body, results = await run(client, dev, "BrightnessController", "porch")
    assert body["status"] == "FAILED"
    assert body["metrics"]["BrightnessController"] == {
        "totalTestCases": 6,
        "passedTestCases": 4,
        "failedTestCases": 2,
        "errorTestCases": 0,
    }
    failed = {r["name"]: r for r in results if r["status"] == "FAILED"}
    assert sorted(failed) == ["Bri_1.0", "Bri_2.0"]  # the two that expect brightness 25
    for result in failed.values():
        actual = {s["name"]: s["value"] for s in result["actualCapabilityStates"]}
        expected = {s["name"]: s["value"] for s in result["expectedCapabilityStates"]}
        assert expected["brightness"] == 25
        assert actual["brightness"] == 50  # what the liar reported
        assert result["actualResponse"]["event"]["header"]["name"] == "Response"
        assert "error" not in result
    # Power does not read brightness back: the same skill passes it.
    body, _ = await run(client, dev, "PowerController", "porch")
    assert body["status"] == "PASSED"


@pytest.mark.parametrize("plan", ["ThermostatHeat_CELSIUS", "ThermostatAuto"])
async def test_thermostat_plans_against_a_light_are_not_supported(
    client: httpx.AsyncClient, admin: Admin, mylights: SkillServer, plan: str
) -> None:
    dev = await linked_developer(client, admin, mylights)
    body, results = await run(client, dev, plan, "kitchen")
    assert body["status"] == "ERROR"
    assert body["error"]["code"] == "CAPABILITY_NOT_SUPPORTED"
    assert "Alexa.ThermostatController" in body["error"]["message"]
    assert results == []
