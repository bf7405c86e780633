"""Wire shapes of the observe-and-steer admin calls (journal, faults, reset, snapshots)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class FaultIn(CamelModel):
    """`POST /_localexa/faults`: fail or slow matching calls (README: Observe and steer)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    # Numbers are strict: JSON `true` or "60" is not a number (lax pydantic took them as 1 and 60).
    # The console's form validates with `model_validate_strings`, which parses its text.
    method: str | None = Field(default=None, max_length=16)
    path: str = Field(min_length=1, max_length=2048)
    status: int | None = Field(strict=True, default=None, ge=400, le=599)
    delay_ms: int = Field(strict=True, default=0, ge=0, le=60_000)
    probability: float = Field(strict=True, default=1.0, ge=0.0, le=1.0)
    count: int | None = Field(strict=True, default=None, ge=1, le=1_000_000_000)
    retry_after: int | None = Field(strict=True, default=None, ge=1, le=86_400)
    customer: str | None = Field(default=None, min_length=1, max_length=200)
    skill: str | None = Field(default=None, min_length=1, max_length=200)
    region: Literal["NA", "EU", "FE"] | None = None
    seed: int | None = Field(strict=True, default=None, ge=-(2**63), le=2**63 - 1)

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
