"""indexes on the expiry of LWA codes and tokens, for the sweep of expired ones

Revision ID: 0008_expiry_indexes
Revises: 0007_regional_endpoints
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_expiry_indexes"
down_revision: str | None = "0007_regional_endpoints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # lwa/expired.py deletes codes and access tokens that expired more than a day ago: one range
    # scan of each index, not a scan of the table (which only grew before 2026-12-06).
    op.create_index(
        op.f("ix_lwa_authorization_codes_expires_at"), "lwa_authorization_codes", ["expires_at"], unique=False
    )
    op.create_index("ix_lwa_tokens_expires_at", "lwa_tokens", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_lwa_tokens_expires_at", table_name="lwa_tokens")
    op.drop_index(op.f("ix_lwa_authorization_codes_expires_at"), table_name="lwa_authorization_codes")
