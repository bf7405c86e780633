"""A correlationToken the caller of `POST /_localexa/directives` chooses.

localexa hides LWA tokens (`Atza|…`, `Atzr|…`, `Atc|…`) and secret fields wherever it keeps or
shows a message (observe/redaction.py). A chosen correlationToken of that shape was sent to the
skill as given but kept redacted: the answer a skill posted to the gateway before its
DeferredResponse never joined the directive (the event's column held `Atza|[redacted]`, the
directive's the value), and a later asynchronous answer was judged "does not match the
directive's" (its directive's body was kept redacted). Such a value is now refused with a 400
naming the field and what it would be kept as, and nothing is sent; any other value is sent and
kept as given.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.directives.conftest import endpoints_after_link, send
from tests.directives.test_misbehaving_skills import TOKEN_ANSWER, LinkedSkill, _AsLinked, link_to
from tests.factories import Admin
from tests.misbehaving_servers import Switch, answer, misbehaving_server


@pytest.fixture
async def skill(admin: Admin, client: httpx.AsyncClient) -> AsyncIterator[LinkedSkill]:
    switch = Switch(answer(200, {}))
    async with misbehaving_server({"/skill": switch, "/token": answer(200, TOKEN_ANSWER)}) as server:
        linked = await link_to(admin, client, server, switch)
        await endpoints_after_link(admin, _AsLinked(linked))  # its Discover, out of the way
        yield linked


def _sent_directives(skill: LinkedSkill) -> int:
    return sum(1 for request in skill.server.requests if request.path == "/skill")


@pytest.mark.parametrize(
    ("chosen", "kept_as"),
    [
        ("Atza|chosen-by-the-caller", "Atza|[redacted]"),
        ("Atzr|chosen-by-the-caller", "Atzr|[redacted]"),
        ("Atc|chosen-by-the-caller", "Atc|[redacted]"),
        ("Atza%7Cchosen", "Atza|[redacted]"),
        ("run-1:Atza|chosen", "run-1:Atza|[redacted]"),
        ('{"token": "chosen"}', '{"token": "[redacted]"}'),
    ],
)
async def test_a_correlation_token_localexa_would_redact_is_a_400_and_not_sent(
    admin: Admin, skill: LinkedSkill, chosen: str, kept_as: str
) -> None:
    before = _sent_directives(skill)
    answered = await send(admin, {**skill.directive(), "correlationToken": chosen})

    assert answered.status_code == 400, answered.text
    message = answered.json()["message"]
    assert message.startswith("correlationToken: "), message
    assert repr(kept_as) in message, message  # what it would be kept and shown as
    assert "LWA token" in message, message
    assert "could not be matched" in message, message
    assert "chosen" not in message.replace(kept_as, ""), message  # the value itself is not echoed
    assert _sent_directives(skill) == before


@pytest.mark.parametrize("chosen", ["my-run-42", "dFMb0z+Pgpg/abc==", "Atz", "Atza", "Atza-no-bar"])
async def test_any_other_correlation_token_is_sent_and_kept_as_given(
    admin: Admin, skill: LinkedSkill, chosen: str
) -> None:
    answered = await send(admin, {**skill.directive(), "correlationToken": chosen})

    assert answered.status_code == 200, answered.text
    assert answered.json()["directive"]["directive"]["header"]["correlationToken"] == chosen
    [sent] = [r for r in skill.server.requests if r.path == "/skill"][-1:]
    assert json.loads(sent.body)["directive"]["header"]["correlationToken"] == chosen
