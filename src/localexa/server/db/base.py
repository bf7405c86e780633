"""The declarative base every area's tables derive from, the shared clock row, the demo's row and
the secret key's check.

Times are stored as timezone-aware UTC (`DateTime(timezone=True)`); SQLite hands them back naive,
so read them through `core.clock.as_utc`.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, MetaData, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ClockState(Base):
    """The admin clock's offset from the wall clock, shared by every process (one row, id 1)."""

    __tablename__ = "clock_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_seconds: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)


#: The associated data the demo's seed is sealed under.
DEMO_SEAL_CONTEXT = "localexa:demo-seed"


class DemoSeed(Base):
    """What `--demo` seeded (admin/demo.py), sealed with the secret key (it holds the app's client
    secret, which the database keeps only hashed): one row, id 1. Another process started with
    `--demo` on the same database, with a data dir of its own, reuses it instead of seeding again."""

    __tablename__ = "demo_seed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sealed: Mapped[str] = mapped_column(Text, nullable=False)


class SecretKeyCheck(Base):
    """Which secret key serves this database: one row, id 1, holding a fixed text sealed under it
    (lwa/key_check.py). Written by the first start; every later start must open it. Reset and
    restore leave it alone and snapshots leave it out: it belongs to the database, not its state."""

    __tablename__ = "secret_key_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sealed: Mapped[str] = mapped_column(Text, nullable=False)
