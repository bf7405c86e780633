"""what --demo seeded, for every process on the database

Revision ID: 0005_demo_seed
Revises: 0004_journal_cutoff
Create Date: 2026-12-04 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_demo_seed"
down_revision: str | None = "0004_journal_cutoff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Two --demo processes on one new database each seeded a demo set (one crashed on the
    # customers' unique e-mail) or refused the other's; now one seeds and the others reuse it.
    op.create_table(
        "demo_seed",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_seed")),
    )


def downgrade() -> None:
    op.drop_table("demo_seed")
