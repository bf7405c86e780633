"""when an LWA token was revoked, for the sweep that deletes revoked tokens a day later

Revision ID: 0012_revoked_at
Revises: 0011_journal_ids_never_reused
Create Date: 2026-12-07 18:00:00
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import context, op

revision: str = "0012_revoked_at"
down_revision: str | None = "0011_journal_ids_never_reused"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The furthest an offset can be ahead (core/clock.py MAX_OFFSET_SECONDS): one past it is ignored
#: there, so here too.
_MAX_OFFSET_SECONDS = 1000 * 365 * 86400
_ONLY_REVOKED = sa.text("revoked_at IS NOT NULL")


def _localexa_now() -> datetime:
    """The wall clock plus the shared clock's offset (core/clock.py), as the server reads it."""
    offset = op.get_bind().execute(sa.text("SELECT offset_seconds FROM clock_state WHERE id = 1")).scalar()
    seconds = float(offset) if isinstance(offset, int | float) else 0.0
    if not math.isfinite(seconds) or not 0 <= seconds <= _MAX_OFFSET_SECONDS:
        seconds = 0.0
    return datetime.now(UTC) + timedelta(seconds=seconds)


def upgrade() -> None:
    # Revoked refresh tokens stayed for ever (soak review of 2026-12-07, F2): lwa/expired.py now
    # deletes a token a day after its revocation by localexa's clock, which it needs stored.
    op.add_column("lwa_tokens", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    # Partial: only revoked rows, so issuing a token writes no entry of it.
    op.create_index(
        "ix_lwa_tokens_revoked_at",
        "lwa_tokens",
        ["revoked_at"],
        unique=False,
        postgresql_where=_ONLY_REVOKED,
        sqlite_where=_ONLY_REVOKED,
    )
    if context.is_offline_mode():
        return  # the schema snapshot (db/schema_snapshot.py): a new database holds no token
    # Rows revoked before this migration do not say when: they count as revoked now, by
    # localexa's clock, and go a day after the upgrade, as if revoked at it. Not deleted at once:
    # a grant's access tokens live up to an hour past its revocation, and while they do the
    # Credential Locker reads the revoked refresh token to refuse them (grant ended).
    tokens = sa.table(
        "lwa_tokens",
        sa.column("revoked", sa.Boolean()),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        tokens.update()
        .where(tokens.c.revoked.is_(True), tokens.c.revoked_at.is_(None))
        .values(revoked_at=_localexa_now())
    )


def downgrade() -> None:
    op.drop_index("ix_lwa_tokens_revoked_at", table_name="lwa_tokens")
    with op.batch_alter_table("lwa_tokens", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
