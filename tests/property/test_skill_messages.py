"""The skill kit (localexa.skill): any JSON-like value given to its parsers raises only the kit's
documented DirectiveError (or yields a Verdict / an answer, for the functions that never raise);
what its builders make for a valid directive validates."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from localexa.skill import (
    AcceptGrantFailed,
    DirectiveError,
    SkillHandler,
    accept_grant_response,
    brightness,
    change_report,
    color,
    deferred_response,
    discover_response,
    parse_directive,
    power_state,
    response,
    state_report,
    validate_event,
    validate_response,
)
from localexa.skill.directives import bearer_token
from localexa.skill.errors import SkillError
from localexa.skill.messages import Directive, EventEnvelope
from localexa.skill.validation import Verdict
from tests.property import budget

CI = budget(200)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["3", "Alexa", "BearerToken", "ErrorResponse", "Discover", "AcceptGrant", ""])
)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
ids = st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=40)
endpoint_ids = st.text(alphabet=string.ascii_letters + string.digits + "_-=#;:?@&", min_size=1, max_size=60)
tokens = st.text(alphabet=string.printable, min_size=1, max_size=40).filter(str.strip)


@st.composite
def directives(draw: st.DrawFn) -> dict[str, Any]:
    """Valid directive events: an endpoint directive, Discover or AcceptGrant."""
    kind = draw(st.sampled_from(["endpoint", "discover", "accept"]))
    token = draw(tokens)
    header: dict[str, Any] = {"payloadVersion": "3", "messageId": draw(ids)}
    inner: dict[str, Any] = {"header": header}
    if kind == "endpoint":
        header |= {
            "namespace": draw(st.sampled_from(["Alexa.PowerController", "Alexa"])),
            "name": draw(st.sampled_from(["TurnOn", "TurnOff", "ReportState"]) | ids),
        }
        header["correlationToken"] = draw(tokens)
        inner["endpoint"] = {
            "scope": {"type": "BearerToken", "token": token},
            "endpointId": draw(endpoint_ids),
        }
        inner["payload"] = draw(st.dictionaries(st.text(max_size=8), scalars, max_size=3))
    elif kind == "discover":
        header |= {"namespace": "Alexa.Discovery", "name": "Discover"}
        inner["payload"] = {"scope": {"type": "BearerToken", "token": token}}
    else:
        header |= {"namespace": "Alexa.Authorization", "name": "AcceptGrant"}
        inner["payload"] = {
            "grant": {"type": "OAuth2.AuthorizationCode", "code": draw(tokens)},
            "grantee": {"type": "BearerToken", "token": token},
        }
    return {"directive": inner}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A valid message with one of its parts replaced by any JSON-like value, or removed."""
    value = draw(base)
    path = draw(st.sampled_from(paths(value)))
    if not path:
        return draw(json_like)
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_like)
    return value


anything = json_like | mutated(directives()) | st.builds(lambda d: {"directive": d}, json_like)


@CI
@given(anything)
def test_parse_directive_raises_only_directive_error(event: Any) -> None:
    try:
        parsed = parse_directive(event)
    except DirectiveError as error:
        problems = error.problems
        assert problems
    else:
        assert isinstance(parsed, Directive)


@CI
@given(anything)
def test_bearer_token_raises_only_directive_error(event: Any) -> None:
    try:
        token = bearer_token(event)
    except DirectiveError:
        return
    assert token is None or (isinstance(token, str) and token)


@CI
@given(anything, json_like | mutated(st.builds(lambda d: response(d), directives())))
def test_validate_response_never_raises(directive: Any, answer: Any) -> None:
    assert isinstance(validate_response(directive, answer), Verdict)


@CI
@given(
    json_like | mutated(st.builds(lambda e: change_report(e, [power_state(True)], token="t"), endpoint_ids))
)
def test_validate_event_never_raises(event: Any) -> None:
    assert isinstance(validate_event(event), Verdict)


HANDLER = SkillHandler()


@HANDLER.on("Alexa.PowerController", "TurnOn")
def _turn_on(request: Any) -> dict[str, Any]:
    return response(request.directive, [power_state(True)])


@CI
@given(anything)
def test_handler_answers_anything_with_an_event(event: Any) -> None:
    answer = HANDLER(event)
    EventEnvelope.model_validate(answer)
    assert answer["event"]["header"]["name"] in ("ErrorResponse", "Response")


@CI
@given(directives(), st.booleans(), st.integers(0, 100), st.floats(0, 360), st.floats(0, 1))
def test_built_answers_validate(
    event: dict[str, Any], on: bool, percent: int, hue: float, sat: float
) -> None:
    props = [power_state(on), brightness(percent), color(hue, sat, sat)]
    inner = event["directive"]
    key = (inner["header"]["namespace"], inner["header"]["name"])
    if key == ("Alexa.Discovery", "Discover"):
        answers = [discover_response(event, [])]
    elif key == ("Alexa.Authorization", "AcceptGrant"):
        answers = [accept_grant_response(inner)]
    elif key == ("Alexa", "ReportState"):
        answers = [state_report(inner, props), deferred_response(event, percent)]
    else:
        answers = [response(event, props), response(inner), deferred_response(event, percent)]
    for answer in answers:
        verdict = validate_response(event, answer)
        assert verdict.ok, verdict.problems


@CI
@given(directives(), st.sampled_from(SkillError.__subclasses__()), st.text(max_size=50))
def test_built_error_responses_validate(event: dict[str, Any], kind: type[SkillError], message: str) -> None:
    if (event["directive"]["header"]["name"] == "AcceptGrant") != (kind is AcceptGrantFailed):
        return  # ACCEPT_GRANT_FAILED answers AcceptGrant, and only it
    try:
        answer = kind(message or None).response(event)
    except (TypeError, ValueError):
        return  # a type with required extra fields
    verdict = validate_response(event, answer)
    assert verdict.is_error
    assert verdict.ok, verdict.problems
    assert validate_response(event, HANDLER(event)).ok  # the handler's own answer too


@CI
@given(endpoint_ids, tokens, st.lists(st.integers(0, 100), min_size=1, max_size=3))
def test_built_change_reports_validate(endpoint_id: str, token: str, levels: list[int]) -> None:
    event = change_report(endpoint_id, [brightness(n) for n in levels], [power_state(True)], token=token)
    assert validate_event(event).ok, validate_event(event).problems


@st.composite
def with_any_text_field(draw: st.DrawFn) -> dict[str, Any]:
    """A valid directive whose endpointId, correlationToken or messageId is any text."""
    event = draw(directives())
    inner = event["directive"]
    spots = [(inner["header"], "messageId"), (inner["header"], "correlationToken")]
    if "endpoint" in inner:
        spots.append((inner["endpoint"], "endpointId"))
    parent, key = draw(st.sampled_from(spots))
    parent[key] = draw(st.text(max_size=300))
    return event


@CI
@given(with_any_text_field())
def test_handler_answer_to_a_bad_field_is_a_valid_event(event: dict[str, Any]) -> None:
    """What the answer echoes of a malformed directive must not make the answer malformed too."""
    answer = HANDLER(event)
    EventEnvelope.model_validate(answer)
