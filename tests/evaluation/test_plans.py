"""The plan files: Amazon's shape, the capabilities the issue names, and ids that never change."""

from __future__ import annotations

from localexa.server.evaluation.plans import all_plans, plan_by_id, plan_id_for

#: Published in the README: changing one breaks every script that names it.
STABLE_IDS = {
    "PowerController": "f51fae98-1553-532e-8a89-6843ac26b55a",
    "BrightnessController": "6297dce5-acac-5b43-8516-61a3085f7991",
    "ThermostatHeat_FAHRENHEIT": "b3b17cdd-2fa8-522a-8c1a-1666bb13c5e9",
}


def test_plan_ids_are_stable() -> None:
    for name, plan_id in STABLE_IDS.items():
        assert plan_id_for(name) == plan_id
        found = plan_by_id(plan_id)
        assert found is not None
        assert found.name == name
    assert plan_by_id("PowerController") is None  # names are not ids


def test_every_plan_has_amazons_shape() -> None:
    plans = all_plans()
    assert [p.name for p in plans] == sorted(
        [
            "PowerController",
            "BrightnessController",
            "ColorController",
            "ColorTemperatureController",
            "ThermostatHeat_CELSIUS",
            "ThermostatHeat_FAHRENHEIT",
            "ThermostatCool_CELSIUS",
            "ThermostatCool_FAHRENHEIT",
            "ThermostatAuto",
        ]
    )
    for plan in plans:
        names = [case.name for case in plan.test_cases]
        assert names
        assert len(set(names)) == len(names), plan.name
        for case in plan.test_cases:
            assert set(case.directive) == {"header", "payload"}
            assert set(case.directive["header"]) == {"namespace", "name"}
            assert case.expected_states
            for setup in case.initial_setups:
                assert set(setup) == {"capabilityState", "directive"}
            for state in case.expected_states:
                assert {"namespace", "name", "value"} <= set(state)
                assert state.get("compare", "EQUAL_TO") in ("EQUAL_TO", "GREATER_THAN", "LESS_THAN")
            for tolerance in case.tolerances:
                assert set(tolerance) == {"namespace", "name", "percentThreshold"}


def test_fahrenheit_plans_speak_fahrenheit() -> None:
    for plan in all_plans():
        scale = "FAHRENHEIT" if plan.name.endswith("FAHRENHEIT") else "CELSIUS"
        for directive in plan.directives():
            for value in (directive.get("payload") or {}).values():
                if isinstance(value, dict) and "scale" in value:
                    assert value["scale"] == scale, plan.name
