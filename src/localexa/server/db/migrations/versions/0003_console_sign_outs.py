"""console sessions signed out before their cookie expires

Revision ID: 0003_console_sign_outs
Revises: 0002_case_reasons
Create Date: 2026-12-04 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_console_sign_outs"
down_revision: str | None = "0002_case_reasons"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Sign-out held only until its cookie expired, in the one process that saw it
    # (console/sign_outs.py); a row here holds everywhere and across restarts.
    op.create_table(
        "console_sign_outs",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_console_sign_outs")),
    )
    op.create_index(
        op.f("ix_console_sign_outs_expires_at"), "console_sign_outs", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_console_sign_outs_expires_at"), table_name="console_sign_outs")
    op.drop_table("console_sign_outs")
