"""when the journal was last emptied, for every process

Revision ID: 0004_journal_cutoff
Revises: 0003_console_sign_outs
Create Date: 2026-12-04 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_journal_cutoff"
down_revision: str | None = "0003_console_sign_outs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A reset dropped only the resetting process's queued journal entries; another process's
    # still landed after it (observe/journal.py reads this row before each batch).
    op.create_table(
        "journal_cutoff",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("not_before", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_cutoff")),
    )


def downgrade() -> None:
    op.drop_table("journal_cutoff")
