"""Wire shapes of the Credential Locker (seed: Credential Locker REST API reference).

The PUT body is checked field by field by `localexa.thread.fields` (the one source of truth the
client and CLI share), not by pydantic, so each 400 names the field in OpenThread's terms; the
pydantic models here describe the shapes for the answers and the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from localexa.server.core.errors import BadRequest
from localexa.server.core.json_body import json_object
from localexa.thread.fields import (
    MAX_CHANNEL,
    MIN_CHANNEL,
    NETWORK_NAME_MAX_BYTES,
    InvalidField,
    check_thread_network,
    listed_names,
)

THREAD_NETWORK = "threadNetwork"
#: The spellings of PAN ID ffff, which `check_pan_id` refuses (any case, with or without 0x).
BROADCAST_PAN_ID_PATTERN = "^(0[xX])?[fF]{4}$"

NETWORK_NAME_RULE = (
    f"1 to {NETWORK_NAME_MAX_BYTES} bytes of UTF-8 (Thread's Network Name TLV), counted in bytes, "
    f"not characters: 16 ASCII letters fit, 9 letters é (2 bytes each) do not."
)
CHANNEL_NUMBER_RULE = (
    f"An IEEE 802.15.4 channel, {MIN_CHANNEL}-{MAX_CHANNEL}, written as a JSON integer without a "
    "fraction or exponent: `15`, not `15.0` (JSON Schema counts both as integers; localexa, as "
    "for every integer it takes, refuses the second)."
)


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ThreadNetworkOut(CamelModel):
    """One network as GET answers it: every stored field, the network key and PSKc in clear
    (handing them to the skill is the point of the API)."""

    extended_pan_id: str = Field(description="8 bytes, 16 lower-case hex digits.")
    network_name: str = Field(description=NETWORK_NAME_RULE)
    network_key: str = Field(description="16 bytes, 32 lower-case hex digits.")
    pskc: str | None = Field(default=None, description="16 bytes, 32 lower-case hex digits.")
    pan_id: str | None = Field(default=None, description="2 bytes, 4 lower-case hex digits, not ffff.")
    channel_number: int | None = Field(
        default=None, ge=MIN_CHANNEL, le=MAX_CHANNEL, description=CHANNEL_NUMBER_RULE
    )
    default_border_agent_id: str | None = Field(default=None, description="Hex, 1-32 bytes.")


class ThreadNetworksPage(CamelModel):
    thread_networks: list[ThreadNetworkOut]
    next_token: str | None = Field(default=None, description="Absent on the last page.")


def hex_pattern(min_bytes: int, max_bytes: int | None = None) -> str:
    """What `localexa.thread.fields` accepts for a hex field: an optional 0x, either case."""
    count = f"{{{min_bytes}}}" if max_bytes is None else f"{{{min_bytes},{max_bytes}}}"
    return f"^(0[xX])?([0-9a-fA-F]{{2}}){count}$"


#: The PUT body's hex fields: (JSON name, bytes, at most bytes).
_PUT_HEX_FIELDS = (
    ("extendedPanId", 8, None),
    ("networkKey", 16, None),
    ("pskc", 16, None),
    ("panId", 2, None),
    ("defaultBorderAgentId", 1, 32),
)


def put_body_openapi() -> dict[str, Any]:
    """The PUT request body for the OpenAPI document (the route reads the raw body itself). A
    request may write hex in either case and with 0x; answers are normalized to lower case."""
    network = ThreadNetworkOut.model_json_schema(by_alias=True)
    network["required"] = ["extendedPanId", "networkName", "networkKey"]
    network["additionalProperties"] = False
    properties = network["properties"]
    for name, size, max_size in _PUT_HEX_FIELDS:
        field = properties[name]
        string = next((branch for branch in field.get("anyOf", []) if branch.get("type") == "string"), field)
        string["pattern"] = hex_pattern(size, max_size)
        if name == "panId":  # ffff is the broadcast PAN ID, which names no network
            string["not"] = {"pattern": BROADCAST_PAN_ID_PATTERN}
    # JSON Schema counts characters and cannot count bytes: maxLength 16 is the most a name can
    # have (16 ASCII characters), the description the rule itself; "ééééééééé" (9 characters,
    # 18 bytes) fits the schema and is refused.
    properties["networkName"].update(
        minLength=1, maxLength=NETWORK_NAME_MAX_BYTES, description=NETWORK_NAME_RULE
    )
    # JSON Schema counts 19.0 as an integer; localexa, like every integer of its APIs, does not.
    channel = properties["channelNumber"]
    channel["description"] = CHANNEL_NUMBER_RULE
    schema = {
        "type": "object",
        "required": [THREAD_NETWORK],
        "properties": {THREAD_NETWORK: network},
        "additionalProperties": False,
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def parse_put_body(raw: bytes) -> dict[str, str | int]:
    """`{"threadNetwork": {...}}` → the normalized network; BadRequest naming what is wrong."""
    # Read whatever its Content-Type, checked for NUL and lone surrogates (core/json_body.py).
    body = json_object(raw, shape='{"threadNetwork": {...}}')
    unknown = sorted(str(name) for name in body if name != THREAD_NETWORK)
    if unknown:
        raise BadRequest(f"The request body has unknown field(s): {listed_names(unknown)}.")
    if body.get(THREAD_NETWORK) is None:
        raise BadRequest("threadNetwork is required.")
    try:
        return check_thread_network(body[THREAD_NETWORK])
    except InvalidField as exc:
        raise BadRequest(exc.message) from None
