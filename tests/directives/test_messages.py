"""Pure pieces: the envelopes localexa sends, and how reported properties merge into known state."""

from __future__ import annotations

import pytest

from localexa.server.directives import envelope
from localexa.server.directives.endpoints import merge_properties, property_key
from localexa.skill.directives import bearer_token, parse_directive


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(
            envelope.endpoint_directive(
                "Alexa.BrightnessController",
                "SetBrightness",
                token="Atza|t",
                endpoint_id="light-1",
                cookie={"room": "kitchen"},
                payload={"brightness": 40},
            ),
            id="endpoint",
        ),
        pytest.param(envelope.discover_directive("Atza|t"), id="discover"),
        pytest.param(envelope.accept_grant_directive("CODEabc", "Atza|t"), id="accept-grant"),
    ],
)
def test_envelopes_pass_the_skill_kits_parser(message: dict[str, object]) -> None:
    directive = parse_directive(message)
    assert directive.header.payload_version == "3"
    assert bearer_token(directive) == "Atza|t"


def test_endpoint_directive_carries_correlation_token_and_cookie() -> None:
    first = envelope.endpoint_directive("Alexa", "ReportState", token="t", endpoint_id="e", cookie={"a": 1})
    second = envelope.endpoint_directive("Alexa", "ReportState", token="t", endpoint_id="e")
    header = first["directive"]["header"]
    assert header["correlationToken"] != second["directive"]["header"]["correlationToken"]
    assert header["messageId"] != second["directive"]["header"]["messageId"]
    assert first["directive"]["endpoint"]["cookie"] == {"a": 1}
    assert "correlationToken" not in envelope.discover_directive("t")["directive"]["header"]


def test_a_resent_directive_has_a_new_message_id_and_the_new_token() -> None:
    sent = envelope.endpoint_directive("Alexa.PowerController", "TurnOn", token="old", endpoint_id="e")
    again = envelope.with_new_message_id(sent, "new")
    assert again["directive"]["endpoint"]["scope"]["token"] == "new"
    assert again["directive"]["header"]["messageId"] != sent["directive"]["header"]["messageId"]
    assert again["directive"]["header"]["correlationToken"] == sent["directive"]["header"]["correlationToken"]
    assert sent["directive"]["endpoint"]["scope"]["token"] == "old"


def test_property_keys_include_the_instance() -> None:
    assert property_key({"namespace": "Alexa.PowerController", "name": "powerState"}) == (
        "Alexa.PowerController.powerState"
    )
    assert property_key({"namespace": "Alexa.ModeController", "instance": "Wash.Cycle", "name": "mode"}) == (
        "Alexa.ModeController:Wash.Cycle.mode"
    )


def test_an_older_sample_does_not_overwrite_a_newer_one() -> None:
    newer = {"namespace": "N", "name": "p", "value": 2, "timeOfSample": "2024-01-01T10:00:00Z"}
    older = {"namespace": "N", "name": "p", "value": 1, "timeOfSample": "2024-01-01T09:00:00.00Z"}
    state = merge_properties({}, [newer])
    assert merge_properties(state, [older])["N.p"]["value"] == 2
    latest = {**newer, "value": 3, "timeOfSample": "2024-01-01T11:00:00Z"}
    assert merge_properties(state, [latest, "not a property"])["N.p"]["value"] == 3


def test_a_sample_time_without_an_offset_is_taken_as_utc() -> None:
    """A skill's answer is learned from even when it is invalid: a `timeOfSample` without an offset
    beside a stored one with `Z` raised "can't compare offset-naive and offset-aware datetimes"
    (a 500 of POST /_localexa/directives)."""
    stored = merge_properties(
        {}, [{"namespace": "N", "name": "p", "value": 1, "timeOfSample": "2024-01-01T10:00:00Z"}]
    )
    newer = {"namespace": "N", "name": "p", "value": 2, "timeOfSample": "2024-01-01T10:30:00"}
    older = {"namespace": "N", "name": "p", "value": 3, "timeOfSample": "2024-01-01T09:30:00"}
    assert merge_properties(stored, [newer])["N.p"]["value"] == 2
    assert merge_properties(stored, [older])["N.p"]["value"] == 1


def test_a_sample_without_a_time_never_overwrites_one_with_a_time() -> None:
    timed = {"namespace": "N", "name": "p", "value": 1, "timeOfSample": "2026-01-01T10:00:00Z"}
    untimed = {"namespace": "N", "name": "p", "value": 2}
    state = merge_properties({}, [timed])
    assert merge_properties(state, [untimed])["N.p"]["value"] == 1
    assert merge_properties(state, [{**untimed, "timeOfSample": "not a time"}])["N.p"]["value"] == 1
    # Nothing known yet, or nothing timed known: the sample is all there is.
    assert merge_properties({}, [untimed])["N.p"]["value"] == 2
    assert merge_properties(merge_properties({}, [untimed]), [{**untimed, "value": 3}])["N.p"]["value"] == 3
