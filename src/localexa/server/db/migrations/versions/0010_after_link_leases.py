"""after-link follow-ups: a lease on the status row, so a killed process's follow-up is run again

Revision ID: 0010_after_link_leases
Revises: 0009_secret_key_check
Create Date: 2026-12-06 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_after_link_leases"
down_revision: str | None = "0009_secret_key_check"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: directives/models.py `FOLLOW_UP_PENDING`, as it was at this revision.
_PENDING = "(discovery_status = 'PENDING' OR accept_grant_status = 'PENDING')"


def upgrade() -> None:
    # directives/after_link_leases.py: a follow-up ran only in the process that answered the link,
    # and one killed (SIGKILL, OOM, Docker's kill after its grace) left its steps PENDING for
    # ever. Rows PENDING from before this revision have no lease: the first sweep gives them one,
    # owned by no process, and takes them over once it runs out.
    op.add_column("after_link_status", sa.Column("lease_owner", sa.String(length=200), nullable=True))
    op.add_column(
        "after_link_status", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("after_link_status", sa.Column("attempts", sa.Integer(), nullable=True))
    op.create_index(
        "ix_after_link_status_pending_lease",
        "after_link_status",
        ["lease_expires_at"],
        unique=False,
        sqlite_where=sa.text(_PENDING),
        postgresql_where=sa.text(_PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_after_link_status_pending_lease", table_name="after_link_status")
    with op.batch_alter_table("after_link_status") as batch:  # SQLite rebuilds the table
        batch.drop_column("attempts")
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
