"""An early asynchronous answer reaching another process than the sender is judged at once.

A skill may post its real answer to the event gateway while its DeferredResponse is still on the
way, before localexa has recorded the directive. The sending process holds the directive in flight
(directives/in_flight.py); with Redis, the other processes behind the same database find it there
too. Here the directive goes through process A (`POST /_localexa/directives`) to a skill on
127.0.0.1 that, on TurnOn, posts its answer to process B's `/v3/events` first: B knew no
directive with that correlationToken, learned a StateReport's lamp OFF at once, and judged it
invalid only when A recorded the directive (review of 2026-12-07).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.directives.test_deferred_exchange import PostsFirst
from tests.scale.conftest import REDIRECT, MyLights, Pair
from tests.scale.world import ACCOUNT_LINKING, app_token, bearer, customer, skill, token

pytestmark = pytest.mark.slow

ASYNC_EVENTS = "alexa::async_event:write"


def _linked(pair: Pair, mylights: MyLights, skill_server: PostsFirst) -> tuple[str, str]:
    """A customer linked (through A) to a skill at `skill_server`, its lamp discovered; the skill
    posts its early answers to B's gateway with the customer's event token."""
    owner = skill(
        pair.a,
        permissions=[ASYNC_EVENTS],
        account_linking=mylights.account_linking(),
        endpoint=skill_server.url,
    )
    user_id = customer(pair.a)
    link = {"redirectUri": REDIRECT, "authCode": mylights.auth_code(), "type": "AUTH_CODE"}
    with pair.a.client() as http:
        linked = http.post(
            f"/v1/users/~current/skills/{owner.skill_id}/enablement",
            json={"stage": "development", "accountLinkRequest": link},
            headers=bearer(app_token(pair.a, user_id, [ACCOUNT_LINKING])),
        )
        assert linked.status_code == 201, linked.text
        # The follow-up (AcceptGrant, Discover) done, so that nothing of it runs alongside.
        known = http.get(
            f"/_localexa/customers/{user_id}/skills/{owner.skill_id}/endpoints",
            params={"waitSeconds": 20},
            headers=pair.a.admin_headers,
        )
    assert known.status_code == 200, known.text
    assert [e["endpointId"] for e in known.json()["endpoints"]] == ["lamp"], known.text
    skill_server.gateway = pair.b.base_url
    skill_server.event_token = token(pair.a, owner.messaging_client_id, user_id, [ASYNC_EVENTS])
    return user_id, owner.skill_id


@pytest.mark.parametrize(("name", "on", "learned"), [("Response", True, "ON"), ("StateReport", False, None)])
def test_an_early_answer_to_another_process_is_judged_against_the_directive_in_flight(
    pair: Pair, mylights: MyLights, name: str, on: bool, learned: str | None
) -> None:
    skill_server = PostsFirst(name=name, on=on)
    with skill_server:
        user_id, skill_id = _linked(pair, mylights, skill_server)
        sent = pair.a.admin(
            "directives",
            {
                "userId": user_id,
                "skillId": skill_id,
                "namespace": "Alexa.PowerController",
                "name": "TurnOn",
                "endpointId": "lamp",
            },
        )
    assert skill_server.posted == [202]
    assert sent["verdict"]["name"] == "Alexa.DeferredResponse", sent
    with pair.b.client(headers=pair.b.admin_headers) as http:
        known = http.get(f"/_localexa/customers/{user_id}/skills/{skill_id}/endpoints").json()
        messages = http.get(f"/_localexa/customers/{user_id}/skills/{skill_id}/messages").json()
    [lamp] = [e for e in known["endpoints"] if e["endpointId"] == "lamp"]
    power: dict[str, Any] = lamp["state"].get("Alexa.PowerController.powerState") or {}
    assert power.get("value") == learned, lamp
    events = [
        m for m in messages["messages"] if m["exchangeId"] == sent["exchangeId"] and m["direction"] == "event"
    ]
    assert [(m["verdict"] or {}).get("valid") for m in events] == [learned == "ON"], events
