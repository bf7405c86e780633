"""What localexa knows from talking to skills: messages exchanged, endpoints found, link follow-ups.

- `skill_messages`: every directive sent to a skill, its answer, and every event a skill posted to
  the gateway, per customer and skill, already redacted (no token or grant code is stored), with
  the verdict of the smart home message checks. The console and the evaluation API show them.
- `discovered_endpoints`: the endpoints a skill reported in `Discover.Response` (or
  `AddOrUpdateReport`) for a customer, with their cookie and the last known state of their
  properties (from answers, StateReports and ChangeReports).
- `after_link_status`: how Discover and AcceptGrant went after the customer linked the skill,
  so a failed AcceptGrant or an ErrorResponse stays visible. While a step is PENDING the process
  running the follow-up holds a lease on the row (directives/after_link_leases.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from localexa.server.db.base import Base

# SQLite only auto-increments an `INTEGER PRIMARY KEY`; PostgreSQL gets a BIGINT identity.
_MessageId = BigInteger().with_variant(Integer(), "sqlite")

DIRECTIVE = "directive"
RESPONSE = "response"
EVENT = "event"


class SkillMessage(Base):
    __tablename__ = "skill_messages"
    __table_args__ = (
        Index("ix_skill_messages_customer_skill", "customer_id", "skill_id", "id"),
        # A skill's delete cascades to its messages through this one (0013).
        Index("ix_skill_messages_skill_id", "skill_id"),
    )

    id: Mapped[int] = mapped_column(_MessageId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    #: directive (localexa → skill), response (its answer), event (skill → /v3/events)
    direction: Mapped[str] = mapped_column(String(16))
    #: Ties a directive to its answer (and a retried directive to the first try).
    exchange_id: Mapped[str] = mapped_column(String(36), index=True)
    namespace: Mapped[str | None] = mapped_column(String(200), nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    endpoint_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    correlation_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The redacted message; None when the skill gave no answer.
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: {"valid": bool, "problems": [...]} for answers and events.
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: {"type", "message"} when the skill could not be reached or did not answer.
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)


class DiscoveredEndpoint(Base):
    __tablename__ = "discovered_endpoints"
    #: A skill's delete cascades to its endpoints through this (the key leads with the customer).
    __table_args__ = (Index("ix_discovered_endpoints_skill_id", "skill_id"),)

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    friendly_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    manufacturer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    display_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    capabilities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    cookie: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Last known value of each property, keyed `namespace.name` or `namespace:instance.name`.
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    discovered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


#: A follow-up under way: a step still to be answered (after_link_claim.py's PENDING). Written as SQL
#: text so the partial index below and the sweep's query (after_link_leases.py) carry the very
#: same term, which is what lets SQLite use the index; in parentheses, as it is ANDed in as is.
FOLLOW_UP_PENDING = "(discovery_status = 'PENDING' OR accept_grant_status = 'PENDING')"


class AfterLinkStatus(Base):
    __tablename__ = "after_link_status"
    __table_args__ = (
        # Partial in the database (migration 0010_after_link_leases: `WHERE FOLLOW_UP_PENDING`), so
        # it holds only the follow-ups under way, few: the sweep for abandoned ones reads it every
        # third of a lease in every process (since 2026-12-06). Not declared here: `sqlite_where`
        # and `postgresql_where` load both SQL dialects at import, in every process.
        Index("ix_after_link_status_pending_lease", "lease_expires_at"),
        # A skill's delete cascades to its follow-ups through this (the key leads with the customer).
        Index("ix_after_link_status_skill_id", "skill_id"),
    )

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    #: NOT_SENT | PENDING | SUCCEEDED | FAILED
    discovery_status: Mapped[str] = mapped_column(String(16))
    discovery_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    discovery_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: NOT_REQUIRED (no alexa::async_event:write) | NOT_SENT | PENDING | SUCCEEDED | FAILED
    accept_grant_status: Mapped[str] = mapped_column(String(16))
    accept_grant_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    accept_grant_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: While a step is PENDING: which follow-up runs it (a token of its own per run) and until
    #: when, by the wall clock (never localexa's movable clock). Renewed while it runs; once it
    #: runs out any process takes the follow-up over (directives/after_link_leases.py). Cleared
    #: when no step is PENDING any more.
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: Runs of the current link's follow-up so far: the first, and each takeover of an abandoned
    #: one. One abandoned too often ends FAILED instead of being taken over again (a follow-up
    #: that kills its process must not kill every process in turn for ever).
    attempts: Mapped[int | None] = mapped_column(Integer, nullable=True)
