"""A skill that posts its real answer to the event gateway while its DeferredResponse is still on
the way (before localexa has recorded the directive): the messages API files that event under the
directive's exchange all the same (the gateway found no exchange then, and gave it one of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from localexa.client.types import DirectiveResult
from localexa.skill import deferred_response, power_state, response
from localexa.testing import Localexa, TestCustomer, TestSkill
from tests.cli.echo_skill import EchoSkill


class PostsFirst(EchoSkill):
    """The echo skill, but TurnOn's answer goes to the gateway first, then DeferredResponse
    (`answer_for` the endpointId that answer names: another endpoint's, to test its verdict)."""

    def __init__(self, answer_for: str | None = None, name: str = "Response", on: bool = True) -> None:
        super().__init__()
        self.gateway = ""
        self.event_token = ""
        self.posted: list[int] = []
        self.answer_for = answer_for
        self.name, self.on = name, on

    def answer(self, directive: dict[str, Any]) -> dict[str, Any]:
        header = directive["directive"]["header"]
        if header["name"] != "TurnOn":
            return super().answer(directive)
        self.received.append(directive)
        answer = response(directive, [power_state(self.on)])
        answer["event"]["header"]["name"] = self.name
        answer["event"]["endpoint"]["scope"] = {"type": "BearerToken", "token": self.event_token}
        if self.answer_for is not None:
            answer["event"]["endpoint"]["endpointId"] = self.answer_for
        auth = {"Authorization": f"Bearer {self.event_token}"}
        self.posted.append(httpx.post(f"{self.gateway}/v3/events", json=answer, headers=auth).status_code)
        return deferred_response(directive, estimated_deferral_seconds=1)


def _turn_on(
    localexa: Localexa, customer: TestCustomer, skill: TestSkill, correlation_token: str | None = None
) -> DirectiveResult:
    return localexa.client.admin.directives.send(
        user_id=customer.user_id,
        skill_id=skill.skill_id,
        namespace="Alexa.PowerController",
        name="TurnOn",
        endpoint_id="lamp",
        correlation_token=correlation_token,
    )


@contextmanager
def _linked_posting_first(
    localexa: Localexa, skill_server: PostsFirst
) -> Iterator[tuple[TestCustomer, TestSkill]]:
    """A customer linked to the skill `skill_server` serves (for the block), which posts its
    answers to this localexa's gateway before its DeferredResponse."""
    with skill_server:
        skill = localexa.create_skill(account_linking=True, endpoint=skill_server.url)
        customer = localexa.create_customer()
        localexa.link(customer, skill)
        skill_server.gateway = localexa.server.url
        skill_server.event_token = localexa.event_token(customer, skill)
        yield customer, skill


def _turned_on_posting_first(
    localexa: Localexa, skill_server: PostsFirst, correlation_token: str | None = None
) -> tuple[TestCustomer, TestSkill, DirectiveResult]:
    """`_linked_posting_first`, and the TurnOn sent to the skill."""
    with _linked_posting_first(localexa, skill_server) as (customer, skill):
        return customer, skill, _turn_on(localexa, customer, skill, correlation_token)


# localexa's own (base64), and one the caller chose (`Atza|…` ones are refused:
# tests/directives/test_chosen_correlation_tokens.py).
@pytest.mark.parametrize("correlation_token", [None, "run-42/turn-on"])
def test_an_event_posted_before_its_directive_was_recorded_joins_its_exchange(
    localexa: Localexa, correlation_token: str | None
) -> None:
    skill_server = PostsFirst()
    customer, skill, sent = _turned_on_posting_first(localexa, skill_server, correlation_token)
    assert skill_server.posted == [202]
    assert sent.verdict.name == "Alexa.DeferredResponse"
    messages = list(localexa.client.admin.directives.messages(customer.user_id, skill.skill_id))
    mine = [m for m in messages if m.exchange_id == sent.exchange_id]
    assert [(m.direction, m.name) for m in sorted(mine, key=lambda m: m.id)] == [
        ("event", "Response"),  # it arrived first
        ("directive", "TurnOn"),
        ("response", "DeferredResponse"),
    ]


def test_an_event_posted_before_its_directive_is_judged_against_it(localexa: Localexa) -> None:
    """The gateway had no directive to judge such an answer against when it came: an Alexa.Response
    for another endpoint kept the verdict valid, and an evaluation passed its case on it (QA of
    2026-12-07). It is judged when its directive is recorded, as one that comes after is."""
    skill_server = PostsFirst(answer_for="lamp-2")
    customer, skill, sent = _turned_on_posting_first(localexa, skill_server)
    assert skill_server.posted == [202]
    messages = list(localexa.client.admin.directives.messages(customer.user_id, skill.skill_id))
    [event] = [m for m in messages if m.exchange_id == sent.exchange_id and m.direction == "event"]
    assert event.endpoint_id == "lamp-2"
    verdict = event.verdict or {}
    assert verdict["valid"] is False, verdict
    assert verdict["problems"] == [
        {"path": "event.endpoint.endpointId", "message": "does not match the directive's"}
    ]
    assert verdict["name"] == "Alexa.Response"


class DefersOnly(EchoSkill):
    """Answers TurnOn with a DeferredResponse and keeps the directive; the test posts the answers."""

    def answer(self, directive: dict[str, Any]) -> dict[str, Any]:
        if directive["directive"]["header"]["name"] != "TurnOn":
            return super().answer(directive)
        self.received.append(directive)
        return deferred_response(directive, estimated_deferral_seconds=1)


def test_an_asynchronous_answer_is_judged_against_its_directive(localexa: Localexa) -> None:
    """After a DeferredResponse, a Response for another endpoint, or a StateReport answering a
    TurnOn, were taken and filed under the directive as valid (QA of 2026-12-05): the gateway still
    takes them (202), and their verdict now says what a synchronous answer's would."""
    skill_server = DefersOnly()
    with skill_server:
        skill = localexa.create_skill(account_linking=True, endpoint=skill_server.url)
        customer = localexa.create_customer()
        localexa.link(customer, skill)
        token = localexa.event_token(customer, skill)
        sent = _turn_on(localexa, customer, skill)
        # The TurnOn: Discover and AcceptGrant after the link may reach the skill later.
        [directive] = [d for d in skill_server.received if d["directive"]["header"]["name"] == "TurnOn"]
    right = response(directive, [power_state(True)])
    wrong_endpoint = response(directive, [power_state(True)])
    wrong_endpoint["event"]["endpoint"]["endpointId"] = "lamp-2"
    state_report = response(directive, [power_state(True)])
    state_report["event"]["header"]["name"] = "StateReport"
    auth = {"Authorization": f"Bearer {token}"}
    for answer in (wrong_endpoint, state_report, right):
        answer["event"]["endpoint"]["scope"] = {"type": "BearerToken", "token": token}
        posted = httpx.post(f"{localexa.server.url}/v3/events", json=answer, headers=auth)
        assert posted.status_code == 202, posted.text
    messages = list(localexa.client.admin.directives.messages(customer.user_id, skill.skill_id))
    events = sorted(
        (m for m in messages if m.exchange_id == sent.exchange_id and m.direction == "event"),
        key=lambda m: m.id,
    )
    assert [m.endpoint_id for m in events] == ["lamp-2", "lamp", "lamp"]
    verdicts = [m.verdict or {} for m in events]
    assert verdicts[0]["valid"] is False
    assert any(p["path"] == "event.endpoint.endpointId" for p in verdicts[0]["problems"]), verdicts[0]
    assert verdicts[1]["valid"] is False, verdicts[1]
    assert verdicts[2] == {"valid": True, "problems": [], "name": "Alexa.Response", "errorType": None}


def test_a_wake_up_joins_the_turn_ons_exchange_without_being_judged_its_answer(localexa: Localexa) -> None:
    """Alexa.WakeOnLANController: DeferredResponse to TurnOn, WakeUp to the gateway (with TurnOn's
    correlationToken), then the real answer. The WakeUp was refused (400) before 2026-12-06."""
    skill_server = DefersOnly()
    with skill_server:
        skill = localexa.create_skill(account_linking=True, endpoint=skill_server.url)
        customer = localexa.create_customer()
        localexa.link(customer, skill)
        token = localexa.event_token(customer, skill)
        sent = _turn_on(localexa, customer, skill)
        [directive] = [d for d in skill_server.received if d["directive"]["header"]["name"] == "TurnOn"]
    wake_up = response(directive, [power_state(False)])
    wake_up["event"]["header"].update(namespace="Alexa.WakeOnLANController", name="WakeUp")
    wake_up["event"]["endpoint"]["scope"] = {"type": "BearerToken", "token": token}
    auth = {"Authorization": f"Bearer {token}"}
    posted = httpx.post(f"{localexa.server.url}/v3/events", json=wake_up, headers=auth)
    assert posted.status_code == 202, posted.text
    messages = list(localexa.client.admin.directives.messages(customer.user_id, skill.skill_id))
    [event] = [m for m in messages if m.exchange_id == sent.exchange_id and m.direction == "event"]
    assert event.name == "WakeUp"
    assert (event.verdict or {})["valid"] is True, event.verdict


def test_an_asynchronous_answer_judged_invalid_teaches_no_state(localexa: Localexa) -> None:
    """A synchronous answer whose verdict is invalid teaches localexa nothing; an asynchronous one
    did: a StateReport answering the TurnOn, with the lamp OFF, was filed as invalid and still
    turned the lamp's known state OFF (QA of 2026-12-07)."""
    skill_server = DefersOnly()
    with skill_server:
        skill = localexa.create_skill(account_linking=True, endpoint=skill_server.url)
        customer = localexa.create_customer()
        localexa.link(customer, skill)
        token = localexa.event_token(customer, skill)
        sent = _turn_on(localexa, customer, skill)
        [directive] = [d for d in skill_server.received if d["directive"]["header"]["name"] == "TurnOn"]
    right = response(directive, [power_state(True)])
    state_report = response(directive, [power_state(False)])
    state_report["event"]["header"]["name"] = "StateReport"
    auth = {"Authorization": f"Bearer {token}"}

    def lamp_power() -> Any:
        known = localexa.client.admin.directives.endpoints(customer.user_id, skill.skill_id)
        [lamp] = [e for e in known.endpoints if e.endpoint_id == "lamp"]
        return lamp.state.get("Alexa.PowerController.powerState")

    for answer, power in ((right, "ON"), (state_report, "ON")):
        answer["event"]["endpoint"]["scope"] = {"type": "BearerToken", "token": token}
        posted = httpx.post(f"{localexa.server.url}/v3/events", json=answer, headers=auth)
        assert posted.status_code == 202, posted.text
        shown = lamp_power()
        assert shown["value"] == power, shown
    messages = list(localexa.client.admin.directives.messages(customer.user_id, skill.skill_id))
    verdicts = [
        (m.verdict or {}).get("valid")
        for m in sorted(messages, key=lambda m: m.id)
        if m.exchange_id == sent.exchange_id and m.direction == "event"
    ]
    assert verdicts == [True, False]


@pytest.mark.parametrize(("name", "on", "learned"), [("Response", True, "ON"), ("StateReport", False, None)])
def test_an_event_posted_before_its_directive_is_recorded_is_judged_against_it_at_once(
    localexa: Localexa, name: str, on: bool, learned: str | None
) -> None:
    """An answer reaching the gateway while its directive is still in flight (not recorded yet) is
    judged against that directive at once, and nothing is learned from an invalid one: a
    StateReport posted as the TurnOn's answer, the lamp OFF, turned the lamp's known state OFF,
    and was judged invalid only at the recording (review of 2026-12-07)."""
    skill_server = PostsFirst(name=name, on=on)
    customer, skill, sent = _turned_on_posting_first(localexa, skill_server)
    assert skill_server.posted == [202]
    known = localexa.client.admin.directives.endpoints(customer.user_id, skill.skill_id)
    [lamp] = [e for e in known.endpoints if e.endpoint_id == "lamp"]
    power = lamp.state.get("Alexa.PowerController.powerState")
    assert (power or {}).get("value") == learned, power
    verdicts = [
        (m.verdict or {}).get("valid")
        for m in localexa.client.admin.directives.messages(customer.user_id, skill.skill_id)
        if m.exchange_id == sent.exchange_id and m.direction == "event"
    ]
    assert verdicts == [learned == "ON"]


def test_an_early_answer_is_judged_against_the_directive_in_flight_not_an_older_one_with_its_token(
    localexa: Localexa,
) -> None:
    """A caller may reuse a correlationToken: a ReportState with token T is recorded, then a TurnOn
    with T is in flight when the skill posts a StateReport (the lamp OFF) as its answer. It was
    judged against the recorded ReportState (valid there) and the lamp learned OFF, then judged
    invalid at the TurnOn's recording (review of 2026-12-07)."""
    skill_server = PostsFirst(name="StateReport", on=False)
    with _linked_posting_first(localexa, skill_server) as (customer, skill):
        send = localexa.client.admin.directives.send
        mine: dict[str, Any] = {
            "user_id": customer.user_id,
            "skill_id": skill.skill_id,
            "endpoint_id": "lamp",
        }
        send(namespace="Alexa", name="ReportState", correlation_token="reused-1", **mine)
        sent = send(namespace="Alexa.PowerController", name="TurnOn", correlation_token="reused-1", **mine)
    assert skill_server.posted == [202]
    known = localexa.client.admin.directives.endpoints(customer.user_id, skill.skill_id)
    [lamp] = [e for e in known.endpoints if e.endpoint_id == "lamp"]
    assert lamp.state.get("Alexa.PowerController.powerState") is None, lamp.state
    messages = localexa.client.admin.directives.messages(customer.user_id, skill.skill_id)
    events = [m for m in messages if m.exchange_id == sent.exchange_id and m.direction == "event"]
    assert [(m.verdict or {}).get("valid") for m in events] == [False]


def test_a_reused_token_leaves_each_exchange_its_own_early_answer(localexa: Localexa) -> None:
    """Two TurnOns with one correlationToken, each answered early: the second one's recording took
    the first exchange's answer into its own (the events split 0 and 2; review of 2026-12-07)."""
    skill_server = PostsFirst()
    with _linked_posting_first(localexa, skill_server) as (customer, skill):
        first = _turn_on(localexa, customer, skill, "reused-2")
        second = _turn_on(localexa, customer, skill, "reused-2")
    assert skill_server.posted == [202, 202]
    messages = localexa.client.admin.directives.messages(customer.user_id, skill.skill_id)
    events = [m.exchange_id for m in messages if m.direction == "event"]
    assert (events.count(first.exchange_id), events.count(second.exchange_id)) == (1, 1)
