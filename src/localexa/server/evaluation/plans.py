"""The capability test plans: JSON data files in `test_plans/`, one per plan.

Their shape is Amazon's (`alexa/alexa-smarthome` `capability_evaluations/test_plans/*`, spec §2
"Test plan content"): `{"name", "testCases": [{"name", "initialSetups": [{"capabilityState",
"directive"}], "directive", "expectedCapabilityStates": [{namespace, name, value, compare?}],
"capabilityTolerances": [{namespace, name, percentThreshold}]}]}`. The test cases are localexa's
own, written for the same capabilities as Amazon's plans.

Amazon's plan ids are not published (spec §2), so each plan's id is minted from its name: a UUID
v5 under a fixed namespace, stable across releases and machines.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

PLAN_ID_NAMESPACE = uuid.UUID("6f1b7c52-4c1e-5e0a-9b55-3d6c0c6b7a10")

#: Plans whose directives choose a thermostat mode need the endpoint to list that mode.
_MODE_DIRECTIVE = ("Alexa.ThermostatController", "SetThermostatMode")


def plan_id_for(name: str) -> str:
    return str(uuid.uuid5(PLAN_ID_NAMESPACE, f"localexa:capability-test-plan:{name}"))


@dataclass(frozen=True)
class TestCase:
    __test__ = False  # not a pytest class

    name: str
    initial_setups: tuple[dict[str, Any], ...]
    directive: dict[str, Any]
    expected_states: tuple[dict[str, Any], ...]
    tolerances: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class TestPlan:
    __test__ = False

    id: str
    name: str
    test_cases: tuple[TestCase, ...]

    def directives(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for case in self.test_cases:
            found += [setup["directive"] for setup in case.initial_setups]
            found.append(case.directive)
        return found

    def required_properties(self) -> dict[str, set[str]]:
        """Interface → the properties the plan reads back through ReportState."""
        needed: dict[str, set[str]] = {}
        for case in self.test_cases:
            for state in case.expected_states:
                needed.setdefault(state["namespace"], set()).add(state["name"])
        return needed

    def required_interfaces(self) -> set[str]:
        """Every interface a directive of the plan or an expected state belongs to."""
        interfaces = {d["header"]["namespace"] for d in self.directives()}
        return interfaces | set(self.required_properties())

    def thermostat_modes(self) -> set[str]:
        modes: set[str] = set()
        for directive in self.directives():
            header = directive["header"]
            if (header["namespace"], header["name"]) == _MODE_DIRECTIVE:
                mode = (directive.get("payload") or {}).get("thermostatMode", {}).get("value")
                if isinstance(mode, str):
                    modes.add(mode)
        return modes


def _case(raw: dict[str, Any]) -> TestCase:
    return TestCase(
        name=str(raw["name"]),
        initial_setups=tuple(raw.get("initialSetups") or ()),
        directive=dict(raw["directive"]),
        expected_states=tuple(raw.get("expectedCapabilityStates") or ()),
        tolerances=tuple(raw.get("capabilityTolerances") or ()),
    )


def parse_plan(raw: dict[str, Any]) -> TestPlan:
    name = str(raw["name"])
    return TestPlan(id=plan_id_for(name), name=name, test_cases=tuple(_case(c) for c in raw["testCases"]))


@cache
def all_plans() -> tuple[TestPlan, ...]:
    """Every plan, ordered by name (the order the list API pages in)."""
    folder = resources.files("localexa.server.evaluation").joinpath("test_plans")
    plans = [
        parse_plan(json.loads(entry.read_text(encoding="utf-8")))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return tuple(sorted(plans, key=lambda plan: plan.name))


def plan_by_id(plan_id: str) -> TestPlan | None:
    return next((plan for plan in all_plans() if plan.id == plan_id), None)
