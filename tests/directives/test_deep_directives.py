"""A directive whose payload or cookie nests too deeply is refused before anything is sent.

A payload ~300 levels deep went to the skill, and then the answer `DirectiveOut` could not be
serialized (pydantic stops at ~255 levels): a 500 saying "Retry" for a directive already
delivered (QA of 2026-12-06). Since then `payload` and `cookie` nest at most `MAX_ANSWER_DEPTH`
levels, as a skill's answer, and a body that does is a 400 naming the field.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from localexa.server.core.strict_json import TOO_DEEP_MESSAGE
from localexa.server.directives.invoker import MAX_ANSWER_DEPTH
from tests.directives.conftest import endpoints_after_link, send
from tests.directives.test_misbehaving_skills import TOKEN_ANSWER, LinkedSkill, _AsLinked, link_to
from tests.factories import Admin
from tests.misbehaving_servers import Switch, answer, misbehaving_server


def _nested(levels: int) -> dict[str, Any]:
    """An object `levels` deep: {"a": {"a": … {}}}."""
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.fixture
async def skill(admin: Admin, client: httpx.AsyncClient) -> AsyncIterator[LinkedSkill]:
    switch = Switch(answer(200, {}))
    async with misbehaving_server({"/skill": switch, "/token": answer(200, TOKEN_ANSWER)}) as server:
        linked = await link_to(admin, client, server, switch)
        await endpoints_after_link(admin, _AsLinked(linked))  # its Discover, out of the way
        yield linked


def _sent_directives(skill: LinkedSkill) -> int:
    return sum(1 for request in skill.server.requests if request.path == "/skill")


@pytest.mark.parametrize("field", ["payload", "cookie"])
@pytest.mark.parametrize("levels", [MAX_ANSWER_DEPTH + 1, 300, 500])
async def test_a_directive_nested_too_deep_is_a_400_and_not_sent(
    admin: Admin, skill: LinkedSkill, field: str, levels: int
) -> None:
    before = _sent_directives(skill)
    answered = await send(admin, {**skill.directive(), field: _nested(levels)})

    assert answered.status_code == 400, answered.text[:300]
    message = answered.json()["message"]
    assert field in message, message
    assert f"{MAX_ANSWER_DEPTH} levels" in message, message
    assert "Retry" not in message
    assert _sent_directives(skill) == before


async def test_a_directive_deeper_than_any_body_is_a_400_and_not_sent(
    admin: Admin, skill: LinkedSkill
) -> None:
    before = _sent_directives(skill)
    body = json.dumps({**skill.directive(), "payload": {}})[:-3] + "[" * 2000 + "]" * 2000 + "}"
    answered = await admin.client.post(
        "/_localexa/directives", content=body, headers={**admin.headers, "Content-Type": "application/json"}
    )

    assert answered.status_code == 400, answered.text[:300]
    assert answered.json() == {"message": TOO_DEEP_MESSAGE}
    assert _sent_directives(skill) == before


@pytest.mark.parametrize("field", ["payload", "cookie"])
async def test_a_directive_at_the_limit_is_sent(admin: Admin, skill: LinkedSkill, field: str) -> None:
    before = _sent_directives(skill)
    answered = await send(admin, {**skill.directive(), field: _nested(MAX_ANSWER_DEPTH)})

    assert answered.status_code == 200, answered.text[:300]
    assert _sent_directives(skill) == before + 1


@pytest.mark.parametrize("levels", [MAX_ANSWER_DEPTH - 2, MAX_ANSWER_DEPTH - 1, 300, 2000, 50_000])
async def test_an_answer_nested_deep_is_recorded_not_a_500(
    admin: Admin, skill: LinkedSkill, levels: int
) -> None:
    """The answer's payload is `levels` deep, so the answer `levels` + 2."""
    payload = '{"a": ' * (levels - 1) + "{}" + "}" * (levels - 1)
    skill.switch.script = answer(
        200, '{"event": {"header": {"namespace": "Alexa", "name": "Response"}, "payload": ' + payload + "}}"
    )
    answered = await send(admin, skill.directive())

    assert answered.status_code == 200, answered.text[:300]
    error = answered.json()["error"]
    if levels + 2 <= MAX_ANSWER_DEPTH:
        assert error is None
    else:
        assert error["type"] == "INVALID_JSON", error
