"""The skill registry: vendors (developer accounts' organisations) and their skills.

A skill keeps every field of the admin contract (../shared/spec/admin-api.md), including those
later areas use (endpoint, permissions, account linking). The account-linking client secret is
sealed, because localexa sends it to the skill's token URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from localexa.server.db.base import Base


class Vendor(Base):
    __tablename__ = "vendors"
    #: Newest-first pages (the console, the admin listing): read in order, not sorted (0013).
    __table_args__ = (Index("ix_vendors_created_at", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_user_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Skill(Base):
    __tablename__ = "skills"
    __table_args__ = (
        Index("ix_skills_created_at", "created_at", "id"),
        # A client's delete checks no skill still names it as its messaging client (0013).
        Index("ix_skills_messaging_client_id", "messaging_client_id"),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # amzn1.ask.skill.…
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    stages: Mapped[list[str]] = mapped_column(JSON)
    endpoint: Mapped[str] = mapped_column(Text)
    #: Region → that region's own endpoint (the manifest's `regions`); None when every region
    #: uses `endpoint` (revision 0007).
    regional_endpoints: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The accountLinking object of the admin body, without clientSecret.
    account_linking: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    account_linking_secret_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    messaging_client_id: Mapped[str] = mapped_column(ForeignKey("lwa_clients.client_id"))
    #: The skill's "Alexa Client Id" for app-to-app account linking: the LWA client whose customer
    #: tokens (scope alexa::skills:account_linking) may enable and link this skill and no other.
    #: None for a skill made before localexa had them (revision 0006).
    alexa_client_id: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def endpoint_for(self, region: str) -> str:
        """Where a directive for a customer of `region` goes: that region's endpoint, if the
        skill gives one, else its endpoint."""
        return (self.regional_endpoints or {}).get(region, self.endpoint)
