"""The skill kit and My Lights are what a skill's own code imports: never localexa's server."""

from __future__ import annotations

import subprocess
import sys

import pytest

import localexa.skill


def test_skill_kit_and_sample_do_not_load_the_server() -> None:
    code = (
        "import sys, localexa.skill, localexa.samples.mylights, localexa.samples.mylights.lambda_handler\n"
        "print(sorted(m for m in sys.modules if m.startswith(('localexa.server', 'fastapi', 'sqlalchemy'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_public_api_is_exported() -> None:
    missing = [name for name in localexa.skill.__all__ if not hasattr(localexa.skill, name)]
    assert missing == []
    assert {"parse_directive", "bearer_token", "validate_response", "SkillHandler"} <= set(
        localexa.skill.__all__
    )


def test_names_load_on_first_use_and_are_the_modules_own() -> None:
    """localexa.skill resolves its names lazily (the server reads only its messages: no httpx)."""
    code = (
        "import sys, localexa.skill.messages\n"
        "print('httpx' in sys.modules)\n"
        "from localexa.skill import AcceptGrantHandler\n"
        "import localexa.skill.accept_grant as home\n"
        "print('httpx' in sys.modules, AcceptGrantHandler is home.AcceptGrantHandler)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["False", "True", "True"]
    assert set(dir(localexa.skill)) >= set(localexa.skill.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = localexa.skill.nothing_here
