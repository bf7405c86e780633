"""The document's request bodies say what the handlers accept: a body the document allows is not
refused for its shape, and a body a handler refuses for its shape is one the document refuses.

Each case below was a mismatch (a body valid per the document, answered 400): the document now
states the rule (a pattern, an `anyOf`, a `not`). Two rules JSON Schema cannot state, a whole
float for an integer and a Thread network name's bytes, are said in words, and the fuzz hooks
(schemathesis_hooks.py) keep them out of generated bodies.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI

from localexa.server.app import create_app
from localexa.server.observe.schemas import FaultIn
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.credential_locker.conftest import make_locker, network
from tests.factories import Admin
from tests.fuzz.schemathesis_hooks import document_rules, fit_network_name, integral_numbers

LOCKER = ("put", "/credentiallocker/v2/threadNetworks")
FAULTS = ("post", "/_localexa/faults")
CUSTOMERS = ("post", "/_localexa/customers")
SKILLS = ("post", "/_localexa/skills")
DIRECTIVES = ("post", "/_localexa/directives")
ADMIN = {"X-Localexa-Admin-Key": ADMIN_KEY}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app: FastAPI = create_app(Settings(demo=False))
    return app.openapi()


def allows(document: dict[str, Any], operation: tuple[str, str], body: Any) -> bool:
    """Whether the document's request body schema of `operation` takes `body` (JSON Schema
    2020-12, ECMA 262 patterns, as a client or schemathesis reads them)."""
    method, path = operation
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    rooted = {**schema, "components": document["components"]}
    return bool(jsonschema_rs.Draft202012Validator(rooted).is_valid(body))


FAULT_CASES: list[tuple[dict[str, Any], bool]] = [
    ({"path": "/v1/x", "status": 503}, True),
    ({"path": "/v1/x", "delayMs": 5}, True),
    ({"path": "/v1/x", "status": None, "delayMs": 5}, True),
    ({"path": "/v1/x", "method": " get ", "status": 503}, True),
    ({"path": "/v1/x", "method": "poſt", "status": 503}, False),  # "poſt".upper() == "POST": ASCII only
    ({"path": "/v1/x", "method": "*", "status": 503}, True),
    ({"path": "/v1/x", "method": "", "status": 503}, True),
    ({"path": "/v1/x", "method": "FETCH", "status": 503}, False),
    ({"path": "/v1/x", "method": "GETS", "status": 503}, False),
    ({"path": "v1/x", "status": 503}, False),
    ({"path": "/v1/x"}, False),
    ({"path": "/v1/x", "delayMs": 0}, False),
    ({"path": "/v1/x", "status": None}, False),
    # null is the field left out (core/null_fields.py), since 2026-12-06: a delayMs or probability
    # null was a 400 while the other admin bodies took it; a required field's null still is.
    ({"path": "/v1/x", "status": 503, "delayMs": None, "probability": None, "method": None}, True),
    ({"path": "/v1/x", "delayMs": 5, "status": None, "count": None, "seed": None}, True),
    ({"path": "/v1/x", "delayMs": None}, False),
    ({"path": "/v1/x", "delayMs": None, "status": None}, False),
    ({"path": None, "status": 503}, False),
]


@pytest.mark.parametrize(("body", "accepted"), FAULT_CASES)
async def test_a_fault_the_document_allows_is_created(
    document: dict[str, Any], client: httpx.AsyncClient, body: dict[str, Any], accepted: bool
) -> None:
    answer = await client.post("/_localexa/faults", json=body, headers=ADMIN)
    assert (answer.status_code == 201) is accepted, answer.text
    assert allows(document, FAULTS, body) is accepted


def test_the_fault_method_pattern_is_the_validator() -> None:
    """`method_pattern()` takes exactly what FaultIn's validator takes: each method, `*` and
    nothing, with each character that `str.upper` or `str.strip` reads as another put in or
    around them (refused by both where `str.upper` would make a method letter of it)."""
    from localexa.server.observe.schemas import method_pattern

    pattern = re.compile(method_pattern())

    def valid(method: str) -> bool:
        try:
            FaultIn.model_validate({"path": "/", "status": 500, "method": method})
        except ValueError:
            return False
        return True

    odd = {
        chr(code) for code in range(sys.maxunicode + 1) if chr(code).upper().isascii() and chr(code).isalpha()
    }
    odd |= {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    odd |= {chr(code) for code in range(0x180)} | {"\ufeff", "\u200b"}
    checked = 0
    for word in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*", ""):
        for char in odd:
            variants = [char + word, word + char]
            for at in range(len(word)):
                variants += [word[:at] + char + word[at + 1 :], word[:at] + char + word[at:]]
            for method in variants:
                if len(method) <= 16:
                    assert valid(method) is (pattern.search(method) is not None), repr(method)
                    checked += 1
    assert checked > 10_000


@pytest.mark.parametrize(
    ("email", "accepted"),
    [
        ("ann@example.com", True),
        ("Ann.O'Neil+x@example.co.uk", True),
        ("ann\u00a0b@example.com", False),  # no-break space: Python's \s, not ASCII's
        ("ann\x1c@example.com", False),  # U+001C: Python's \s, not ECMA 262's
        ("ann@exa\u2003mple.com", False),
        ("ann@example", False),
        ("ann@example.com\n", False),  # Python's `$` matches before a final newline; ECMA 262's not
    ],
)
async def test_a_customer_email_the_document_allows_is_taken(
    document: dict[str, Any], client: httpx.AsyncClient, email: str, accepted: bool
) -> None:
    body = {"name": "Ann", "email": email, "password": "pw"}
    answer = await client.post("/_localexa/customers", json=body, headers=ADMIN)
    assert (answer.status_code == 201) is accepted, answer.text
    assert allows(document, CUSTOMERS, body) is accepted
    # schemathesis reads `\s` in a pattern as ASCII only (re.ASCII): the same answer there. (A
    # full match: ECMA 262's `$` is the end of the text, not also the place before a last newline.)
    pattern = document["components"]["schemas"]["CustomerIn"]["properties"]["email"]["pattern"]
    assert (re.fullmatch(pattern, email, re.ASCII) is not None) is accepted


async def test_an_email_too_long_in_lower_case_is_a_400_on_every_database(
    document: dict[str, Any], client: httpx.AsyncClient
) -> None:
    """ "İ".lower() is two characters: 200 of them fit maxLength 320 and not the stored column
    (a 500 on PostgreSQL, a 201 on SQLite). The description says the lower case must fit too."""
    body = {"name": "Ann", "email": "İ" * 200 + "@b.co", "password": "pw"}
    answer = await client.post("/_localexa/customers", json=body, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert "lower case" in answer.json()["message"]
    email = document["components"]["schemas"]["CustomerIn"]["properties"]["email"]
    assert "fit 320 characters too" in email["description"]
    ok = {**body, "email": "İ" * 150 + "@b.co"}
    assert (await client.post("/_localexa/customers", json=ok, headers=ADMIN)).status_code == 201


@pytest.mark.parametrize(
    ("endpoint", "accepted"),
    [
        ("https://skill.example.com/alexa", True),
        ("python:mylights.handler:handle", True),
        ("https://skill.example.com/a\u00a0b", False),
        ("http://skill\x1f.example.com", False),
        ("https://skill.example.com/alexa\n", False),  # was stored with its newline
        ("python:mylights.handler:handle\n", False),
        ("python:módulo:handle", False),  # `\w` is ASCII in the document: the handler too
    ],
)
async def test_a_skill_endpoint_the_document_allows_is_taken(
    document: dict[str, Any], client: httpx.AsyncClient, admin: Admin, endpoint: str, accepted: bool
) -> None:
    vendor = await admin.vendor(await admin.customer())
    body = {"vendorId": vendor, "name": "Lights", "endpoint": endpoint}
    answer = await client.post("/_localexa/skills", json=body, headers=ADMIN)
    assert (answer.status_code == 201) is accepted, answer.text
    assert allows(document, SKILLS, body) is accepted


@pytest.mark.parametrize("pan_id", ["ffff", "FFFF", "0xffff", "0XfFfF"])
async def test_the_broadcast_pan_id_is_refused_by_both(
    document: dict[str, Any], client: httpx.AsyncClient, admin: Admin, pan_id: str
) -> None:
    locker = await make_locker(client, admin)
    assert allows(document, LOCKER, {"threadNetwork": network(panId="fffe")})
    assert not allows(document, LOCKER, {"threadNetwork": network(panId=pan_id)})
    assert (await locker.put(network(panId=pan_id))).status_code == 400


async def test_a_directive_without_an_endpoint_is_discover_or_accept_grant(
    document: dict[str, Any], client: httpx.AsyncClient
) -> None:
    base = {"userId": "amzn1.account.x", "skillId": "amzn1.ask.skill.x"}
    turn_on = {**base, "namespace": "Alexa.PowerController", "name": "TurnOn"}
    assert not allows(document, DIRECTIVES, turn_on)
    answer = await client.post("/_localexa/directives", json=turn_on, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert "endpointId" in answer.json()["message"]
    assert allows(document, DIRECTIVES, {**turn_on, "endpointId": "lamp-1"})
    assert allows(document, DIRECTIVES, {**base, "namespace": "Alexa.Discovery", "name": "Discover"})
    assert allows(document, DIRECTIVES, {**base, "namespace": "Alexa.Authorization", "name": "AcceptGrant"})


_BASE = {"userId": "amzn1.account.x", "skillId": "amzn1.ask.skill.x"}
_DISCOVER = {**_BASE, "namespace": "Alexa.Discovery", "name": "Discover"}
_TURN_ON = {**_BASE, "namespace": "Alexa.PowerController", "name": "TurnOn"}
_UNSET = {"payload": None, "payloadVersion": None, "cookie": None, "correlationToken": None, "instance": None}


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        pytest.param({**_DISCOVER, **_UNSET, "endpointId": None}, True, id="discover"),
        pytest.param({**_TURN_ON, **_UNSET, "endpointId": "lamp-1"}, True, id="turn-on"),
        pytest.param({**_TURN_ON, "endpointId": None}, False, id="turn-on-endpoint-null"),
        pytest.param({**_DISCOVER, "userId": None}, False, id="user-null"),
        pytest.param({**_DISCOVER, "namespace": None}, False, id="namespace-null"),
    ],
)
async def test_a_directives_nulls_are_absent_and_the_document_says_so(
    document: dict[str, Any], client: httpx.AsyncClient, body: dict[str, Any], accepted: bool
) -> None:
    """A defaulted field's null is the field left out, since 2026-12-06 (a `payload` or
    `payloadVersion` null was a 400, and each `anyOf` branch of the document refused it); a
    required field's null, and an `endpointId` null where the directive needs one, are refused.
    The ids are unknown: a body taken for its shape is a 404."""
    answer = await client.post("/_localexa/directives", json=body, headers=ADMIN)
    assert answer.status_code == (404 if accepted else 400), answer.text
    assert allows(document, DIRECTIVES, body) is accepted
    branches = {"anyOf": document["components"]["schemas"]["DirectiveIn"]["anyOf"]}
    rooted = {**branches, "components": document["components"]}
    assert jsonschema_rs.Draft202012Validator(rooted).is_valid(body) is accepted  # a generator's union


# What JSON Schema cannot say: said in words, refused by the handler, kept out of the fuzz.


def _locker_property(document: dict[str, Any], name: str) -> dict[str, Any]:
    method, path = LOCKER
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    found: dict[str, Any] = schema["properties"]["threadNetwork"]["properties"][name]
    return found


async def test_a_whole_float_integer_is_refused_and_the_document_says_so(
    document: dict[str, Any], client: httpx.AsyncClient, admin: Admin
) -> None:
    locker = await make_locker(client, admin)
    assert allows(document, LOCKER, {"threadNetwork": network(channelNumber=19.0)})  # JSON Schema
    assert (await locker.put(network(channelNumber=19.0))).status_code == 400
    assert (await locker.put(network(channelNumber=19))).status_code == 200
    assert "not `15.0`" in _locker_property(document, "channelNumber")["description"]
    fault = document["components"]["schemas"]["FaultIn"]["properties"]
    for name in ("status", "delayMs", "count", "retryAfter", "seed"):
        assert "not `500.0`" in fault[name]["description"], name
    answer = await client.post("/_localexa/faults", json={"path": "/", "status": 503.0}, headers=ADMIN)
    assert answer.status_code == 400
    linking = document["components"]["schemas"]["AdminAccountLinkingSpec"]["properties"]
    assert "not `3600.0`" in linking["defaultTokenExpirationInSeconds"]["description"]


async def test_a_network_name_is_counted_in_bytes_and_the_document_says_so(
    document: dict[str, Any], client: httpx.AsyncClient, admin: Admin
) -> None:
    locker = await make_locker(client, admin)
    name = "é" * 9  # 9 characters, 18 bytes
    assert allows(document, LOCKER, {"threadNetwork": network(networkName=name)})  # maxLength 16
    assert (await locker.put(network(networkName=name))).status_code == 400
    assert "bytes of UTF-8" in _locker_property(document, "networkName")["description"]


def test_the_fuzz_hooks_keep_those_two_rules() -> None:
    body = {"threadNetwork": network(channelNumber=19.0, networkName="é" * 9)}
    fixed = document_rules("PUT /credentiallocker/v2/threadNetworks", body)
    assert fixed["threadNetwork"]["channelNumber"] == 19
    assert type(fixed["threadNetwork"]["channelNumber"]) is int
    assert fixed["threadNetwork"]["networkName"] == "é" * 8  # 16 bytes
    assert (
        fit_network_name({"threadNetwork": {"networkName": "😀" * 5}})["threadNetwork"]["networkName"]
        == "😀" * 4
    )
    # A value the document refuses stays refused: too long a name, a fraction, a string.
    assert (
        fit_network_name({"threadNetwork": {"networkName": "a" * 17}})["threadNetwork"]["networkName"]
        == "a" * 17
    )
    assert integral_numbers({"status": [19.5, "19.0", True, 2.0]}) == {"status": [19.5, "19.0", True, 2]}
    fault = document_rules("POST /_localexa/faults", {"path": "/", "status": 500.0})
    assert type(fault["status"]) is int
    assert document_rules("POST /v3/events", {"value": 20.0}) == {"value": 20.0}


def test_the_network_name_query_says_its_bytes(document: dict[str, Any]) -> None:
    """The list's `networkName` filter takes what a stored name can be (the service checks the
    bytes); the document showed a plain string."""
    parameters = document["paths"]["/credentiallocker/v2/threadNetworks"]["get"]["parameters"]
    (name,) = [p for p in parameters if p["name"] == "networkName"]
    assert name["schema"]["minLength"] == 1
    assert name["schema"]["maxLength"] == 16
    assert "counted in bytes" in name["schema"]["description"]
