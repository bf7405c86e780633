"""a skill's own endpoint per region (the smart home manifest's `regions`)

Revision ID: 0007_regional_endpoints
Revises: 0006_app_to_app
Create Date: 2026-12-06 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_regional_endpoints"
down_revision: str | None = "0006_app_to_app"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Directives for a customer of a region the skill names go to that region's endpoint; a skill
    # made before (NULL) sends every region to its one endpoint, as it did.
    op.add_column("skills", sa.Column("regional_endpoints", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.drop_column("regional_endpoints")
