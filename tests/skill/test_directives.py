"""parse_directive and bearer_token against the schema constraints of spec §4."""

from __future__ import annotations

from typing import Any

import pytest

from localexa.skill import DirectiveError, bearer_token, parse_directive
from tests.skill.factories import accept_grant, directive, discover


def test_parses_the_sample_turn_on_directive() -> None:
    parsed = parse_directive(directive("Alexa.PowerController", "TurnOn", "tok-1"))
    assert (parsed.namespace, parsed.name) == ("Alexa.PowerController", "TurnOn")
    assert parsed.endpoint_id == "endpoint-001"
    assert parsed.header.correlation_token == "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg=="
    assert bearer_token(parsed) == "tok-1"


def test_token_of_discover_is_in_the_payload_scope() -> None:
    assert bearer_token(parse_directive(discover("tok-discover"))) == "tok-discover"


def test_token_of_accept_grant_is_the_grantee() -> None:
    assert bearer_token(parse_directive(accept_grant("tok-grantee"))) == "tok-grantee"


def test_limits_that_are_allowed() -> None:
    event = directive("Alexa", "ReportState", endpoint_id="a_b-c=d#e;f:g?h@i&j" + "x" * 237)
    event["directive"]["header"]["messageId"] = "A" * 127
    assert parse_directive(event).endpoint_id == "a_b-c=d#e;f:g?h@i&j" + "x" * 237


def _with(path: str, value: Any) -> dict[str, Any]:
    event = directive("Alexa.PowerController", "TurnOn")
    *parents, last = path.split(".")
    node = event["directive"]
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return event


@pytest.mark.parametrize(
    ("event", "path"),
    [
        pytest.param(
            _with("header.payloadVersion", "2"), "directive.header.payloadVersion", id="payload-version"
        ),
        pytest.param(
            _with("header.messageId", "has space"), "directive.header.messageId", id="message-id-chars"
        ),
        pytest.param(
            _with("header.messageId", "a" * 128), "directive.header.messageId", id="message-id-long"
        ),
        pytest.param(
            _with("header.correlationToken", ""), "directive.header.correlationToken", id="empty-corr"
        ),
        pytest.param(_with("header.namespace", ...), "directive.header.namespace", id="no-namespace"),
        pytest.param(
            _with("endpoint.endpointId", "bad id"), "directive.endpoint.endpointId", id="endpoint-chars"
        ),
        pytest.param(
            _with("endpoint.endpointId", "e" * 257), "directive.endpoint.endpointId", id="endpoint-long"
        ),
        pytest.param(_with("endpoint.scope.type", "Basic"), "directive.endpoint.scope.type", id="scope-type"),
        pytest.param(_with("endpoint.scope.token", ""), "directive.endpoint.scope.token", id="empty-token"),
        pytest.param(_with("endpoint", ...), "directive.endpoint", id="turn-on-without-endpoint"),
        pytest.param({"nothing": 1}, "directive", id="no-directive"),
    ],
)
def test_invalid_directives_name_the_field(event: dict[str, Any], path: str) -> None:
    with pytest.raises(DirectiveError) as caught:
        parse_directive(event)
    assert path in [p.path for p in caught.value.problems]


def test_accept_grant_without_code_is_invalid() -> None:
    event = accept_grant()
    del event["directive"]["payload"]["grant"]["code"]
    with pytest.raises(DirectiveError) as caught:
        parse_directive(event)
    assert [p.path for p in caught.value.problems] == ["directive.payload.grant.code"]


def test_discover_without_scope_is_invalid() -> None:
    event = discover()
    event["directive"]["payload"] = {}
    with pytest.raises(DirectiveError) as caught:
        parse_directive(event)
    assert caught.value.problems[0].path == "directive.payload.scope"
