"""Credential Locker tables: customers' Thread networks (seed: Credential Locker REST API).

A network belongs to the customer (their Echo is the border router), not to the skill that
stored it; it is identified by (customer, extended PAN ID, network name). The network key and
the PSKc are sealed with AES-GCM (core.crypto.SecretBox) under a context naming that identity,
so a ciphertext copied into another row does not open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from localexa.server.db.base import Base
from localexa.thread import fields as f


class ThreadNetwork(Base):
    __tablename__ = "thread_networks"
    __table_args__ = (
        UniqueConstraint("user_id", "extended_pan_id", "network_name", name="uq_thread_networks_identity"),
        # Keyset pages: WHERE user_id = ? AND extended_pan_id = ? AND id > ? ORDER BY id.
        Index("ix_thread_networks_keyset", "user_id", "extended_pan_id", "id"),
        # Newest-first pages of the console: read in order, not sorted (0013).
        Index("ix_thread_networks_created_at", "created_at", "id"),
    )

    #: Monotonic: the sort key of the keyset pages (core.pagination).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    extended_pan_id: Mapped[str] = mapped_column(String(16))  # 16 lower-case hex digits
    network_name: Mapped[str] = mapped_column(String(64))  # 1-16 bytes of UTF-8
    network_key_sealed: Mapped[str] = mapped_column(Text)
    pskc_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    pan_id: Mapped[str | None] = mapped_column(String(4), nullable=True)  # 4 lower-case hex digits
    channel_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    default_border_agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The skill whose token stored it (for the console and the journal; not an owner).
    created_by_skill_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def seal_context(user_id: str, extended_pan_id: str, network_name: str, column: str) -> str:
    """The associated data a sealed column is bound to: the row's identity and the column."""
    return f"thread-network\x1f{user_id}\x1f{extended_pan_id}\x1f{network_name}\x1f{column}"


#: The plain columns a PUT stores, each with the check that normalized it (`localexa.thread.fields`).
#: The identity and the sealed columns are bound to the row by their seal (observe/snapshot_seals.py).
_STORED_FORMS: dict[str, Callable[[object], str | int]] = {
    "extended_pan_id": f.check_extended_pan_id,
    "network_name": f.check_network_name,
    "pan_id": f.check_pan_id,
    "channel_number": f.check_channel_number,
    "default_border_agent_id": f.check_border_agent_id,
}


def stored_row_problem(row: Mapping[str, Any]) -> str | None:
    """What a restored row holds that no PUT stores, as `<column>: <rule>`; None when it fits.

    A value must pass the PUT's check and be in the form the PUT stores (hex in lower case, no
    `0x`): a channel of 99 restored made every GET of its extended PAN ID a 500, and `pan_id` "zzzz"
    reached skills (QA of 2026-12-07). Messages name the rule, never the value."""
    for column, check in _STORED_FORMS.items():
        value = row.get(column)
        if value is None:
            continue
        try:
            normalized = check(value)
        except f.InvalidField as exc:
            return f"{column}: {exc.message.rstrip('.')}"
        if normalized != value:
            return f"{column}: must be written as a PUT stores it (hex in lower case, without 0x)"
    return None
