"""An `endpointId` localexa would keep redacted, at `POST /_localexa/directives`.

The v3 envelope's endpointId pattern (`[a-zA-Z0-9_\\-=#;:?@&]{1,256}`, spec §4) already refuses an
LWA token's shape (`Atza|…`: no `|`), but takes a secret field's `name=value` (`lamp?code=1`,
`#access_token=…`), which localexa hides wherever it keeps or shows a message
(observe/redaction.py). Such a directive was sent as given and kept as `lamp?code=[redacted]`, so
the skill's later asynchronous answer was judged against the kept directive, which no longer
matched the pattern: "not a valid directive" (QA of the night of 2026-12-06). It is now refused with
a 400 saying what it would be kept as, never the value itself, and nothing is sent, as a
correlationToken of that kind is (tests/directives/test_chosen_correlation_tokens.py).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from localexa.skill import power_state, response
from localexa.testing import Localexa
from tests.directives.conftest import endpoints_after_link, send
from tests.directives.test_deferred_exchange import DefersOnly
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
        ("lamp?code=chosen", "lamp?code=[redacted]"),
        ("code=chosen", "code=[redacted]"),
        ("#access_token=chosen", "#access_token=[redacted]"),
        ("?sig=chosen", "?sig=[redacted]"),
        ("a?client_secret=chosen&b=1", "a?client_secret=[redacted]&b=1"),
        ("password=chosen", "password=[redacted]"),
    ],
)
async def test_an_endpoint_id_localexa_would_redact_is_a_400_and_not_sent(
    admin: Admin, skill: LinkedSkill, chosen: str, kept_as: str
) -> None:
    before = _sent_directives(skill)
    answered = await send(admin, {**skill.directive(), "endpointId": chosen})

    assert answered.status_code == 400, answered.text
    message = answered.json()["message"]
    assert message.startswith("endpointId: "), message
    assert repr(kept_as) in message, message  # what it would be kept and shown as
    assert "secret field" in message, message
    # Its own reason (until the night of 2026-12-06 the correlationToken's, "the skill's answer
    # could not be matched to this directive", which is not what goes wrong for an endpointId).
    assert "could not be matched" not in message, message
    assert "breaks the v3 pattern" in message, message
    assert "asynchronous answer would be judged against" in message, message
    assert '"not a valid directive"' in message, message
    assert "chosen" not in message.replace(kept_as, ""), message  # the value itself is not echoed
    assert "chosen" not in answered.text.replace(json.dumps(kept_as)[1:-1], ""), answered.text
    assert _sent_directives(skill) == before


LWA_SHAPED = ["Atza|chosen", "Atzr|chosen", "Atc|chosen", "Atza%7Cchosen", "run-1:Atza|x"]


@pytest.mark.parametrize("chosen", LWA_SHAPED)
async def test_an_lwa_token_shaped_endpoint_id_is_refused_by_the_envelope_pattern(
    admin: Admin, skill: LinkedSkill, chosen: str
) -> None:
    """`|` and `%` are not in the endpointId pattern: refused before the redaction check."""
    before = _sent_directives(skill)
    answered = await send(admin, {**skill.directive(), "endpointId": chosen})

    assert answered.status_code == 400, answered.text
    message = answered.json()["message"]
    assert message.startswith("endpointId: "), message
    assert "pattern" in message, message
    assert _sent_directives(skill) == before


@pytest.mark.parametrize("chosen", ["light-1", "a=b", "code-1", "a:b@c", "x&token=chosen", "room#2;x=1&y"])
async def test_any_other_endpoint_id_is_sent_and_kept_as_given(
    admin: Admin, skill: LinkedSkill, chosen: str
) -> None:
    answered = await send(admin, {**skill.directive(), "endpointId": chosen})

    assert answered.status_code == 200, answered.text
    assert answered.json()["directive"]["directive"]["endpoint"]["endpointId"] == chosen
    [sent] = [r for r in skill.server.requests if r.path == "/skill"][-1:]
    assert json.loads(sent.body)["directive"]["endpoint"]["endpointId"] == chosen


def test_a_late_answer_for_an_endpoint_id_with_form_characters_is_judged_valid(localexa: Localexa) -> None:
    """An endpointId localexa keeps as given, with the pattern's `?`, `=`, `&`, `#` and `;`, is
    matched by the skill's asynchronous answer (the redacted one was "not a valid directive")."""
    endpoint_id = "room#2;x=1&y?z=2"
    skill_server = DefersOnly()
    with skill_server:
        skill = localexa.create_skill(account_linking=True, endpoint=skill_server.url)
        customer = localexa.create_customer()
        localexa.link(customer, skill)
        token = localexa.event_token(customer, skill)
        sent = localexa.client.admin.directives.send(
            user_id=customer.user_id,
            skill_id=skill.skill_id,
            namespace="Alexa.PowerController",
            name="TurnOn",
            endpoint_id=endpoint_id,
        )
        [directive] = [d for d in skill_server.received if d["directive"]["header"]["name"] == "TurnOn"]
    answer_event = response(directive, [power_state(True)])
    answer_event["event"]["endpoint"]["scope"] = {"type": "BearerToken", "token": token}
    auth = {"Authorization": f"Bearer {token}"}
    posted = httpx.post(f"{localexa.server.url}/v3/events", json=answer_event, headers=auth)
    assert posted.status_code == 202, posted.text
    messages = list(localexa.client.admin.directives.messages(customer.user_id, skill.skill_id))
    [event] = [m for m in messages if m.exchange_id == sent.exchange_id and m.direction == "event"]
    assert event.endpoint_id == endpoint_id
    assert event.verdict == {"valid": True, "problems": [], "name": "Alexa.Response", "errorType": None}
