"""Fixtures of the evaluation tests: the skill servers, shared by every test of the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.evaluation import skills
from tests.evaluation.skills import SkillServer


@pytest.fixture(scope="session")
def mylights() -> Iterator[SkillServer]:
    with skills.mylights() as server:
        yield server


@pytest.fixture(scope="session")
def dim_liar() -> Iterator[SkillServer]:
    with skills.dim_liar() as server:
        yield server


@pytest.fixture(scope="session")
def thermostat() -> Iterator[SkillServer]:
    with skills.thermostat() as server:
        yield server


@pytest.fixture(scope="session")
def heat_only() -> Iterator[SkillServer]:
    with skills.thermostat(("HEAT", "OFF")) as server:
        yield server
