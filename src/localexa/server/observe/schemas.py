"""Wire shapes of the observe-and-steer admin calls (journal, faults, reset, snapshots)."""

from __future__ import annotations

import sys
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from localexa.server.core.openapi import PYTHON_SPACE

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@cache
def _upper_pieces() -> dict[str, frozenset[str]]:
    """Each run of A-Z that `str.upper` makes of one character, and the characters that make it:
    "S" from s and ſ (U+017F), "ST" from the ligatures ﬅ and ﬆ, "I" from i and ı (U+0131)."""
    pieces: dict[str, set[str]] = {}
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        upper = char.upper()
        if upper and upper.isascii() and upper.isalpha() and upper.isupper():
            pieces.setdefault(upper, set()).add(char)
    return {piece: frozenset(chars) for piece, chars in pieces.items()}


def _escaped(char: str) -> str:
    return char if char.isascii() and char.isalnum() else f"\\u{ord(char):04x}"


def _spelled(word: str) -> str:
    """A pattern of the strings whose `str.upper()` is `word` (for an upper-case ASCII word)."""
    if not word:
        return ""
    branches = []
    for piece, chars in _upper_pieces().items():
        if word.startswith(piece):
            branch = "[" + "".join(_escaped(char) for char in sorted(chars)) + "]"
            branches.append(branch + _spelled(word[len(piece) :]))
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(sorted(branches)) + ")"


def method_pattern() -> str:
    """What `FaultIn.method` accepts, as a pattern for the document: one of `_METHODS` in any case
    (as `str.upper` reads it: "poſt" is POST), or `*` or nothing (any method), with white space
    around (as `str.strip` takes it). Spelled out, since a JSON Schema pattern has no flags."""
    words = "|".join(_spelled(method) for method in sorted(_METHODS))
    space = f"[{PYTHON_SPACE}]*"
    return f"^{space}(?:\\*|{words})?{space}$"


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


#: JSON Schema counts 19.0 as an integer and cannot tell it from 19; localexa takes a number
#: written without a fraction or exponent only, in every body (as the Credential Locker's
#: channelNumber, thread/fields.py), so the document says it in words.
_INTEGER = "A JSON integer written without a fraction or exponent (`500`, not `500.0`)."

#: A fault acts: it fails the call (`status`) or slows it (`delayMs` above 0), or both.
_ACTS: dict[str, Any] = {
    "anyOf": [
        {"required": ["status"], "properties": {"status": {"type": "integer"}}},
        {"required": ["delayMs"], "properties": {"delayMs": {"minimum": 1}}},
    ]
}


class FaultIn(CamelModel):
    """`POST /_localexa/faults`: fail or slow matching calls (README: Observe and steer)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", json_schema_extra=_ACTS
    )

    # Numbers are strict: JSON `true` or "60" is not a number (lax pydantic took them as 1 and 60).
    # The console's form validates with `model_validate_strings`, which parses its text.
    method: str | None = Field(
        default=None,
        max_length=16,
        description=(
            "GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS in any case, or `*`, empty or null for "
            "any method; white space around it is ignored."
        ),
        json_schema_extra={"pattern": method_pattern()},
    )
    path: str = Field(
        min_length=1,
        max_length=2048,
        description="The request path the fault matches; starts with `/`.",
        json_schema_extra={"pattern": "^/"},  # the validator below checks it, with its own message
    )
    status: int | None = Field(strict=True, default=None, ge=400, le=599, description=_INTEGER)
    delay_ms: int = Field(strict=True, default=0, ge=0, le=60_000, description=_INTEGER)
    probability: float = Field(strict=True, default=1.0, ge=0.0, le=1.0)
    count: int | None = Field(strict=True, default=None, ge=1, le=1_000_000_000, description=_INTEGER)
    retry_after: int | None = Field(strict=True, default=None, ge=1, le=86_400, description=_INTEGER)
    customer: str | None = Field(default=None, min_length=1, max_length=200)
    skill: str | None = Field(default=None, min_length=1, max_length=200)
    region: Literal["NA", "EU", "FE"] | None = None
    seed: int | None = Field(strict=True, default=None, ge=-(2**63), le=2**63 - 1, description=_INTEGER)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str | None) -> str | None:
        if value is None or value.strip() in ("", "*"):
            return None
        upper = value.strip().upper()
        if upper not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(sorted(_METHODS))} or *")
        return upper

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("path must start with /")
        return value

    @model_validator(mode="after")
    def _acts(self) -> FaultIn:
        if self.status is None and self.delay_ms == 0:
            raise ValueError("a fault needs a status, a delayMs, or both")
        return self


class FaultCreated(CamelModel):
    fault_id: str


class FaultOut(CamelModel):
    fault_id: str
    method: str | None
    path: str
    status: int | None
    delay_ms: int
    probability: float
    count: int | None
    remaining: int | None
    retry_after: int | None
    customer: str | None
    skill: str | None
    region: str | None
    seed: int | None
    matched: int
    fired: int
    active: bool
    created_at: str


class JournalEntryOut(CamelModel):
    id: int
    time: str
    direction: str
    method: str
    path: str
    query: str | None
    url: str | None
    route: str | None
    status: int | None
    latency_ms: float
    request_id: str | None
    caller: str | None
    customer: str | None
    skill: str | None
    region: str | None
    request_headers: dict[str, Any]
    request_body: str | None
    response_headers: dict[str, Any]
    response_body: str | None
    error: str | None
    fault_id: str | None


class JournalPage(CamelModel):
    entries: list[JournalEntryOut]
    next_cursor: str | None


class ResetOut(CamelModel):
    reset: bool
    now: str


class RestoreOut(CamelModel):
    restored: dict[str, int]
