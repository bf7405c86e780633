"""Skill enablements: one row per (customer, skill), for developers and customers alike.

The Skill Enablement seed has two APIs over one fact, "this Amazon account has this skill enabled
at this stage": the developer's SMAPI calls (`/v1/skills/{id}/stages/{stage}/enablement`) act on
the developer's own customer account, the customer calls (`/v1/users/~current/skills/{id}/
enablement`) on the token's customer. Both read and write this table, so they always agree.

- A developer `PUT` enables without a link (`link_status` NOT_LINKED).
- A customer `POST` enables with a link: the token pair from the skill's `accessTokenUrl` is kept
  sealed (AES-GCM, the row id bound as associated data) with its expiry by localexa's clock.
- `skill_user_id` (`amzn1.ask.account.…`) is minted per enablement: disabling and enabling again
  (or switching stage, which disables the other stage) gives a new one, as the seed warns.
- `link_status` is LINKED, NOT_LINKED, or NEEDS_RELINK (set when the skill's token server refuses a
  refresh, or by directive failures through `mark_link_invalid`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from localexa.server.db.base import Base

LINKED = "LINKED"
NOT_LINKED = "NOT_LINKED"
NEEDS_RELINK = "NEEDS_RELINK"


class Enablement(Base):
    __tablename__ = "enablements"
    __table_args__ = (
        UniqueConstraint("customer_id", "skill_id", name="uq_enablements_customer_skill"),
        #: Newest-first pages of the console: read in order, not sorted (0013).
        Index("ix_enablements_created_at", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # development | live
    skill_user_id: Mapped[str] = mapped_column(String(200), unique=True)
    link_status: Mapped[str] = mapped_column(String(16), default=NOT_LINKED)
    access_token_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    refresh_token_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    linked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:  # never the sealed tokens
        return (
            f"Enablement(id={self.id!r}, customer_id={self.customer_id!r}, skill_id={self.skill_id!r}, "
            f"stage={self.stage!r}, link_status={self.link_status!r})"
        )
