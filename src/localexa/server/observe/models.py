"""Tables of observe-and-steer: the journal of calls and the injected faults.

Journal rows are already redacted when they are written (observe/redaction.py): no token, code,
password or client secret ever reaches this table. Faults live in the database so every server
process behind one database injects the same faults and shares their counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from localexa.server.db.base import Base

# SQLite only auto-increments an `INTEGER PRIMARY KEY`; PostgreSQL gets a BIGINT identity.
_JournalId = BigInteger().with_variant(Integer(), "sqlite")


class JournalEntry(Base):
    """One call into localexa (`inbound`) or one call localexa made (`outbound`)."""

    __tablename__ = "journal_entries"
    # On SQLite the ids are AUTOINCREMENT (never reused after a reset, as PostgreSQL's identity):
    # migration 0011 and journal_store.py say so, not a `sqlite_autoincrement` here, which would
    # load SQLAlchemy's SQLite dialect in every process, PostgreSQL's too (db/engine.py).

    id: Mapped[int] = mapped_column(_JournalId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # inbound | outbound
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    #: Redacted query string (inbound) or the whole redacted URL (outbound).
    query: Mapped[str | None] = mapped_column(Text, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    route: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    caller: Mapped[str | None] = mapped_column(String(200), nullable=True)
    customer: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    skill: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    region: Mapped[str | None] = mapped_column(String(2), nullable=True)
    request_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Why an outbound call failed (timeout, refused), or the fault id that answered.
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    fault_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class JournalCutoff(Base):
    """When the journal was last emptied, so that no process writes an entry from before it.

    Row `id` 1. `not_before` is the wall clock (Unix seconds, not localexa's clock, which
    reset moves) at which the last reset held the state's tables. A writer reads it in the
    transaction that inserts its batch and leaves out the entries of calls answered before it:
    another process's queued entries cannot land after a reset (observe/journal.py). Reset leaves
    the row in place and moves it (observe/state.py); snapshots leave it out.

    On PostgreSQL, row 2 holds the state's generation instead: its `not_before` counts the resets
    and restores, which every process compares with the one its after-link follow-ups began in
    (observe/generation.py).
    """

    __tablename__ = "journal_cutoff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    not_before: Mapped[float] = mapped_column(Float)


class Fault(Base):
    """An admin rule that fails or slows matching calls (DESIGN: fault injection)."""

    __tablename__ = "faults"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    method: Mapped[str | None] = mapped_column(String(16), nullable=True)  # None: any method
    path: Mapped[str] = mapped_column(Text)  # exact, or with `*`, `**`, `{param}`
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: delay only
    delay_ms: Mapped[int] = mapped_column(Integer, default=0)
    probability: Mapped[float] = mapped_column(Float, default=1.0)
    #: Firings left before the fault retires; None fires forever.
    remaining: Mapped[int | None] = mapped_column(Integer, nullable=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retry_after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    customer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    skill: Mapped[str | None] = mapped_column(String(200), nullable=True)
    region: Mapped[str | None] = mapped_column(String(2), nullable=True)
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: Calls that matched so far; the n-th match draws from the seeded sequence at n.
    matched: Mapped[int] = mapped_column(Integer, default=0)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
