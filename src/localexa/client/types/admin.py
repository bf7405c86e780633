"""localexa admin API wire models (the fixed contract: shared/spec/admin-api.md, plus the list and
get calls and the observe-and-steer calls the server adds: journal, faults, reset, snapshots)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from localexa.client.types._base import WireModel
from localexa.client.types.credentials import SkillMessagingCredentials

__all__ = [
    "AccountLinking",
    "AlexaClientCredentials",
    "ClockTime",
    "Customer",
    "Fault",
    "FaultCreated",
    "JournalEntry",
    "JournalPage",
    "LwaClient",
    "LwaClientInfo",
    "RegionName",
    "ResetResult",
    "RestoreResult",
    "SkillCreated",
    "SkillInfo",
    "SnapshotWritten",
    "Vendor",
]

RegionName = Literal["NA", "EU", "FE"]


class Customer(WireModel):
    """`POST /_localexa/customers` 201, and the entries of `GET /_localexa/customers`."""

    user_id: str
    name: str | None = None
    email: str | None = None
    region: str | None = None
    #: Present when the customer was created with one (the answer leaves it out otherwise).
    postal_code: str | None = None


class Vendor(WireModel):
    vendor_id: str
    name: str | None = None
    owner_user_id: str | None = None


class LwaClient(WireModel):
    """`POST /_localexa/lwa-clients` 201; the secret is shown only here."""

    client_id: str
    client_secret: str = Field(repr=False)


class LwaClientInfo(WireModel):
    """An entry of `GET /_localexa/lwa-clients` (no secret)."""

    client_id: str
    name: str | None = None
    redirect_uris: list[str] = []
    #: Set for a skill's messaging client.
    skill_id: str | None = None


class AccountLinking(WireModel):
    """A skill's account-linking configuration (spec alexa-api-surface.md §5)."""

    type: Literal["AUTH_CODE", "IMPLICIT"] = "AUTH_CODE"
    authorization_url: str
    access_token_url: str | None = None
    client_id: str
    client_secret: str | None = Field(default=None, repr=False)
    access_token_scheme: Literal["HTTP_BASIC", "REQUEST_BODY_CREDENTIALS"] = "HTTP_BASIC"
    scopes: list[str] | None = None
    redirect_urls: list[str] | None = None
    domains: list[str] | None = None
    default_token_expiration_in_seconds: int | None = None


class AlexaClientCredentials(WireModel):
    """A skill's Alexa client for app-to-app account linking ("Alexa Client Id" and secret): the
    LWA client whose customer tokens (`alexa::skills:account_linking`) enable and link the skill."""

    client_id: str
    client_secret: str = Field(repr=False)


class SkillCreated(WireModel):
    """`POST /_localexa/skills` 201."""

    skill_id: str
    skill_messaging_credentials: SkillMessagingCredentials
    #: None from a localexa older than skills' Alexa clients.
    alexa_client_credentials: AlexaClientCredentials | None = None


class RegionalEndpoint(WireModel):
    """`regions.<region>` of a skill: where directives for that region's customers go."""

    endpoint: str


class SkillInfo(WireModel):
    """`GET /_localexa/skills[/{skillId}]`: the skill as stored. Only the single GET carries
    `alexa_client_credentials` (with the secret); the list names the Alexa client by its id."""

    skill_id: str
    vendor_id: str | None = None
    name: str | None = None
    stages: list[str] = []
    endpoint: str | None = None
    #: Each region's own endpoint (`{"EU": {"endpoint": "…"}}`); a region left out uses `endpoint`.
    regions: dict[str, RegionalEndpoint] = {}
    permissions: list[str] = []
    account_linking: dict[str, Any] | None = None
    messaging_client_id: str | None = None
    #: None for a skill made before localexa gave skills an Alexa client.
    alexa_client_id: str | None = None
    alexa_client_credentials: AlexaClientCredentials | None = None
    created_at: datetime | None = None


class ClockTime(WireModel):
    """`GET|POST /_localexa/clock` 200: the server's time, which admin calls can move forward."""

    now: datetime


class JournalEntry(WireModel):
    """One recorded call, inbound or outbound, already redacted by the server."""

    id: int
    time: datetime | None = None
    direction: str | None = None
    method: str | None = None
    path: str | None = None
    query: str | None = None
    url: str | None = None
    route: str | None = None
    status: int | None = None
    latency_ms: float | None = None
    request_id: str | None = None
    caller: str | None = None
    customer: str | None = None
    skill: str | None = None
    region: str | None = None
    request_headers: dict[str, Any] = {}
    request_body: str | None = None
    response_headers: dict[str, Any] = {}
    response_body: str | None = None
    error: str | None = None
    fault_id: str | None = None


class JournalPage(WireModel):
    entries: list[JournalEntry] = []
    next_cursor: str | None = None


class FaultCreated(WireModel):
    fault_id: str


class Fault(WireModel):
    """An injected fault rule as `GET /_localexa/faults` lists it."""

    fault_id: str
    path: str
    method: str | None = None
    status: int | None = None
    delay_ms: int = 0
    probability: float = 1.0
    count: int | None = None
    remaining: int | None = None
    retry_after: int | None = None
    customer: str | None = None
    skill: str | None = None
    region: str | None = None
    seed: int | None = None
    matched: int = 0
    fired: int = 0
    active: bool = True
    created_at: datetime | None = None


class ResetResult(WireModel):
    reset: bool
    now: datetime | None = None


@dataclass(frozen=True)
class SnapshotWritten:
    """What `client.admin.snapshot_to(path)` wrote: the file (as given) and its size in bytes."""

    path: Path
    bytes: int


class RestoreResult(WireModel):
    #: Rows restored per table.
    restored: dict[str, int]
