"""The console's one table: sessions signed out before their cookie expires.

In the database rather than in memory or Redis, so a sign-out holds in every process behind the
database, with or without Redis, and across restarts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from localexa.server.db.base import Base


class ConsoleSignOut(Base):
    __tablename__ = "console_sign_outs"

    #: SHA-256 of the session id: whoever reads the table learns nothing to put in a cookie.
    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: When the signed-out cookie would have expired anyway; the row is of no use after it.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
