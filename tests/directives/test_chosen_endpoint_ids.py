"""An `endpointId` the journal's rules would read as a secret field, at `POST /_localexa/directives`.

The v3 envelope's endpointId pattern (`[a-zA-Z0-9_\\-=#;:?@&]{1,256}`, spec §4) refuses an LWA
token's shape (`Atza|…`: no `|`), but takes a secret field's `name=value` (`lamp?code=1`,
`#access_token=…`), which localexa hides wherever it keeps or shows a message
(observe/redaction.py). Such a directive was sent as given and kept as `lamp?code=[redacted]`, so
the skill's later asynchronous answer was judged against a kept directive that no longer matched
the pattern: "not a valid directive" (QA of the night of 2026-12-06). It was then refused with a
400; an endpointId is an identifier, not a secret, and is now kept as given wherever a message is
kept (directives/scrub.py), so it is sent, and the late answer is judged against it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from localexa.server.directives.scrub import redact_message
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


#: Each a secret field to the journal's rules, each a valid endpointId.
FORM_SHAPED = [
    "lamp?code=chosen",
    "code=chosen",
    "#access_token=chosen",
    "?sig=chosen",
    "a?client_secret=chosen&b=1",
    "password=chosen",
]


@pytest.mark.parametrize("chosen", FORM_SHAPED)
async def test_an_endpoint_id_shaped_like_a_secret_field_is_sent_and_kept_as_given(
    admin: Admin, client: httpx.AsyncClient, skill: LinkedSkill, chosen: str
) -> None:
    answered = await send(admin, {**skill.directive(), "endpointId": chosen})

    assert answered.status_code == 200, answered.text  # a 400 earlier on the night of 2026-12-06
    directive = answered.json()["directive"]["directive"]
    assert directive["endpoint"]["endpointId"] == chosen
    assert directive["endpoint"]["scope"]["token"] == "[redacted]"  # the secret beside it: hidden
    [sent] = [r for r in skill.server.requests if r.path == "/skill"][-1:]
    assert json.loads(sent.body)["directive"]["endpoint"]["endpointId"] == chosen
    path = f"/_localexa/customers/{skill.user_id}/skills/{skill.skill_id}/messages"
    messages = (await client.get(path, headers=admin.headers)).json()["messages"]
    [kept] = [
        m
        for m in messages
        if m["exchangeId"] == answered.json()["exchangeId"] and m["direction"] == "directive"
    ]
    assert kept["endpointId"] == chosen
    assert kept["body"]["directive"]["endpoint"]["endpointId"] == chosen


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


@pytest.mark.parametrize("endpoint_id", ["room#2;x=1&y?z=2", "lamp?code=1"])
def test_a_late_answer_for_an_endpoint_id_with_form_characters_is_judged_valid(
    localexa: Localexa, endpoint_id: str
) -> None:
    """An endpointId with the pattern's `?`, `=`, `&`, `#` and `;`, a secret field's shape
    included, is matched by the skill's asynchronous answer (the redacted one was "not a valid
    directive")."""
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


def _answer(endpoint_id: str, *, listed: bool = False) -> dict[str, Any]:
    if listed:
        return {"event": {"header": {}, "payload": {"endpoints": [{"endpointId": endpoint_id}]}}}
    return {"event": {"header": {}, "endpoint": {"endpointId": endpoint_id}, "payload": {}}}


def _kept(message: dict[str, Any]) -> Any:
    event = message["event"]
    return (
        event["endpoint"]["endpointId"]
        if "endpoint" in event
        else event["payload"]["endpoints"][0]["endpointId"]
    )


@pytest.mark.parametrize("listed", [False, True])
def test_only_an_endpoint_id_of_the_pattern_holding_no_sent_secret_is_kept_as_given(listed: bool) -> None:
    """What scrub.py keeps: an `Atza|…` token or a URL is no endpointId and stays redacted, and so
    does a sent secret (the customer's token) a skill echoes as its endpointId."""
    secret = "the-customers-token-1234"
    assert _kept(redact_message(_answer("lamp?code=1", listed=listed), (secret,))) == "lamp?code=1"
    assert _kept(redact_message(_answer("Atza|abc", listed=listed), (secret,))) == "Atza|[redacted]"
    url = "https://x.example/?code=abc"
    assert (
        _kept(redact_message(_answer(url, listed=listed), (secret,))) == "https://x.example/?code=[redacted]"
    )
    assert _kept(redact_message(_answer(f"{secret}-1", listed=listed), (secret,))) == "[redacted]-1"
    # The message itself is left as it was.
    given = _answer("lamp?code=1", listed=listed)
    redact_message(given, (secret,))
    assert _kept(given) == "lamp?code=1"
