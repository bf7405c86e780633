"""the secret key's check: one row sealed under the key that serves the database

Revision ID: 0009_secret_key_check
Revises: 0008_expiry_indexes
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_secret_key_check"
down_revision: str | None = "0008_expiry_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # lwa/key_check.py: a start could tell another key only from a sealed client secret, so on a
    # database without one (after a reset) a process with another key started and sealed new
    # secrets under it. The row is written by the first start after this migration.
    op.create_table(
        "secret_key_check",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret_key_check")),
    )


def downgrade() -> None:
    op.drop_table("secret_key_check")
