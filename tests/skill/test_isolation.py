"""The skill kit and My Lights are what a skill's own code imports: never localexa's server."""

from __future__ import annotations

import subprocess
import sys

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
