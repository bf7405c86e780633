"""README walk-through, "Skill kit": the handler "turns ... any other exception into
`INTERNAL_ERROR`" and logs it. Called as a Lambda handler (`handler(event, context)`, outside any
event loop), the logged traceback must be the skill's own error only: it used to carry "no running
event loop" as its context ("During handling of the above exception, another exception
occurred"), left over from the check for a running loop.
"""

from __future__ import annotations

import logging

import pytest

from localexa.skill import Message, SkillHandler, SkillRequest
from tests.skill.factories import directive


def test_a_lambda_handlers_logged_error_is_the_skills_own(caplog: pytest.LogCaptureFixture) -> None:
    skill = SkillHandler()

    @skill.on("Alexa.PowerController", "TurnOn")
    def turn_on(request: SkillRequest) -> Message:
        raise LookupError("the device cloud lost lamp-1")

    with caplog.at_level(logging.ERROR):
        answer = skill(directive("Alexa.PowerController", "TurnOn"), None)
    assert answer["event"]["payload"]["type"] == "INTERNAL_ERROR"
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info and r.exc_info[1] is not None]
    assert [type(error) for error in logged] == [LookupError]
    assert logged[0].__context__ is None
    assert "no running event loop" not in caplog.text
