"""schemathesis hooks of the fuzz test (test_openapi_fuzz.py loads this file through
SCHEMATHESIS_HOOKS).

`POST /_localexa/directives` names its customer and skill in the body, where the run's
`[parameters]` (path and query only) cannot pin them: with random ids every call ended at "No
customer …". Here a body whose `userId` and `skillId` are already valid strings gets the linked
customer's and the skill's ids instead, so the directive is built, sent to the skill's endpoint
and its answer judged. A body that breaks the schema in those fields is left alone, so a negative
case stays negative.

Two rules of localexa that JSON Schema cannot state (the document says them in words) are kept
out of the generated bodies here, and only where the rule holds, so a value the document refuses
still goes out as generated:

- **Integers.** JSON Schema counts 19.0 as an integer, and schemathesis sends such "whole floats"
  for an `integer` in a JSON body; localexa takes integers written as integers only, in every body
  (the Credential Locker's channelNumber as the fault's status or a skill's token lifetime). A
  whole float is sent as the integer it spells (`integral_numbers`).
- **Bytes.** A Thread network name is 1-16 bytes of UTF-8, but `maxLength` counts characters:
  schemathesis draws names of up to 16 characters, many of them 2-4 bytes each. A name that fits
  `maxLength` but not 16 bytes is cut to its longest prefix that fits (`fit_network_name`).
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

#: Operations whose JSON bodies carry integers (server: pydantic `strict=True`, thread/fields.py).
INTEGER_BODIES = frozenset(
    {"PUT /credentiallocker/v2/threadNetworks", "POST /_localexa/faults", "POST /_localexa/skills"}
)
#: The most bytes of UTF-8 a Thread network name has (thread/fields.py NETWORK_NAME_MAX_BYTES).
NETWORK_NAME_BYTES = 16

#: The lengths the document allows (directives/schemas.py `DirectiveIn`).
_LIMITS = {"userId": ("FUZZ_USER_ID", 128), "skillId": ("FUZZ_SKILL_ID", 255)}


@schemathesis.hook.apply_to(path="/_localexa/directives", method="POST")  # type: ignore[attr-defined, untyped-decorator]
def map_body(_context: Any, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    for field, (variable, longest) in _LIMITS.items():
        value = body.get(field)
        real = os.environ.get(variable)
        if real and isinstance(value, str) and 1 <= len(value) <= longest:
            body[field] = real
    return body


def integral_numbers(value: Any) -> Any:
    """`value` with every float that has no fraction (19.0) replaced by the integer it spells, in
    place through objects and arrays. A schema's `number` takes the integer as well."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = integral_numbers(item)
    elif isinstance(value, list):
        value[:] = [integral_numbers(item) for item in value]
    return value


def fit_network_name(body: Any) -> Any:
    """A PUT body whose networkName fits `maxLength` (16 characters) but is over 16 bytes of UTF-8
    gets the longest prefix that fits in 16 bytes (one character at least: none is over 4)."""
    network = body.get("threadNetwork") if isinstance(body, dict) else None
    name = network.get("networkName") if isinstance(network, dict) else None
    if not isinstance(network, dict) or not isinstance(name, str) or not 1 <= len(name) <= NETWORK_NAME_BYTES:
        return body
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: refused for what it is, left as drawn
        return body
    if len(encoded) > NETWORK_NAME_BYTES:
        network["networkName"] = encoded[:NETWORK_NAME_BYTES].decode("utf-8", errors="ignore")
    return body


def document_rules(label: str, body: Any) -> Any:
    """Both rules above, for the operation `label` ("PUT /credentiallocker/v2/threadNetworks")."""
    if label in INTEGER_BODIES:
        body = integral_numbers(body)
    if label == "PUT /credentiallocker/v2/threadNetworks":
        body = fit_network_name(body)
    return body


@schemathesis.hook("map_body")
def map_body_rules(context: Any, body: Any) -> Any:
    operation = getattr(context, "operation", None)
    return body if operation is None else document_rules(operation.label, body)
