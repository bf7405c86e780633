"""why a test case failed

Revision ID: 0002_case_reasons
Revises: 0001_initial
Create Date: 2026-12-04 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_case_reasons"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A FAILED case's reasons (evaluation/cases.py): they were logged only.
    op.add_column("capability_test_case_results", sa.Column("reasons", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("capability_test_case_results") as batch:  # SQLite rebuilds the table
        batch.drop_column("reasons")
