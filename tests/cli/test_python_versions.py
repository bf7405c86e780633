"""The dependencies pyproject.toml declares install on every Python it claims (3.11 to 3.13).

asyncpg 0.29 and uvloop 0.19 have no wheels for CPython 3.13 and their sdists fail to compile
there, so on 3.13 the minimums are the first releases with cp313 wheels (asyncpg 0.30,
uvloop 0.21, greenlet 3.1 for SQLAlchemy's asyncio extra); QA of 2026-12-06.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
PROJECT = tomllib.loads(PYPROJECT.read_text())["project"]

#: The first release of each package with wheels for CPython 3.13.
FIRST_WITH_CP313 = {"asyncpg": "0.30", "uvloop": "0.21", "greenlet": "3.1"}
#: What the release just before it was (no cp313 wheels, a failing sdist build).
LAST_WITHOUT_CP313 = {"asyncpg": "0.29.0", "uvloop": "0.20.0", "greenlet": "3.0.3"}


def _requirements(python: str, platform: str = "linux") -> dict[str, Requirement]:
    environment = {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "sys_platform": platform,
        "platform_python_implementation": "CPython",
        "extra": "",
    }
    chosen: dict[str, Requirement] = {}
    for line in PROJECT["dependencies"]:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            assert requirement.name not in chosen, f"{requirement.name} applies twice on {python}"
            chosen[requirement.name] = requirement
    return chosen


@pytest.mark.parametrize("name", sorted(FIRST_WITH_CP313))
def test_on_313_the_minimum_has_cp313_wheels(name: str) -> None:
    requirement = _requirements("3.13")[name]
    assert not requirement.specifier.contains(LAST_WITHOUT_CP313[name]), str(requirement)
    assert requirement.specifier.contains(Version(FIRST_WITH_CP313[name]).public), str(requirement)


def test_on_311_the_minimums_stay() -> None:
    chosen = _requirements("3.11")
    assert chosen["asyncpg"].specifier.contains("0.29.0")
    assert chosen["uvloop"].specifier.contains("0.19.0")


def test_uvloop_keeps_its_platform_markers() -> None:
    for python in ("3.11", "3.12", "3.13"):
        assert "uvloop" in _requirements(python)
        assert "uvloop" not in _requirements(python, platform="win32")
        assert "uvloop" not in _requirements(python, platform="cygwin")


def test_the_classifiers_name_every_supported_python() -> None:
    for python in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {python}" in PROJECT["classifiers"]
