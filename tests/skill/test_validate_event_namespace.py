"""validate_event on an event of a namespace that is no Alexa interface: it names that, and only
what is really wrong besides (it also asked "Foo.ChangeReport" to echo a correlationToken)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from localexa.skill import change_report, power_state, response, validate_event
from tests.skill.factories import directive

REPORT = change_report("lamp", [power_state(True)], token="t")


def renamed(event: dict[str, Any], namespace: str, name: str) -> dict[str, Any]:
    copied = copy.deepcopy(event)
    copied["event"]["header"].update(namespace=namespace, name=name)
    return copied


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        pytest.param("Foo", "ChangeReport", id="foo-change-report"),
        pytest.param("Foo.Bar", "Baz", id="foo-bar-baz"),
        pytest.param("Foo", "Response", id="foo-response"),
    ],
)
def test_a_foreign_namespace_is_the_only_problem(namespace: str, name: str) -> None:
    event = renamed(REPORT, namespace, name)
    assert "correlationToken" not in event["event"]["header"]
    problems = validate_event(event).problems
    assert [(p.path, p.message) for p in problems] == [
        ("event.header.namespace", f"{namespace} is not an Alexa smart home interface")
    ]


def test_what_is_really_wrong_is_still_reported() -> None:
    no_scope = renamed(REPORT, "Foo", "ChangeReport")
    del no_scope["event"]["endpoint"]["scope"]
    assert [p.path for p in validate_event(no_scope).problems] == [
        "event.header.namespace",
        "event.endpoint.scope",
    ]
    # An Alexa asynchronous answer still has to echo the directive's correlationToken.
    answer = response(directive("Alexa.PowerController", "TurnOn"), [power_state(True)], scope_token="t")
    del answer["event"]["header"]["correlationToken"]
    assert [p.path for p in validate_event(answer).problems] == ["event.header.correlationToken"]
