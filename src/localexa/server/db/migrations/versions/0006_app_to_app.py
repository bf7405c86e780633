"""a skill's own Alexa client for app-to-app account linking; refresh tokens of public clients

Revision ID: 0006_app_to_app
Revises: 0005_demo_seed
Create Date: 2026-12-05 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_app_to_app"
down_revision: str | None = "0005_demo_seed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Amazon gives each skill that does app-to-app account linking its own "Alexa Client Id" and
    # secret: the only client whose customer tokens may enable and link that skill.
    # (No foreign key: SQLite would rebuild the table, and LWA clients are removed only with
    # everything else by a reset.)
    op.add_column("skills", sa.Column("alexa_client_id", sa.String(length=200), nullable=True))
    op.create_index(op.f("ix_skills_alexa_client_id"), "skills", ["alexa_client_id"], unique=True)
    # A refresh token issued to a public client (a PKCE exchange without the client's secret) is
    # refreshed with client_id alone, as an AVS companion app's device does.
    op.add_column(
        "lwa_tokens",
        sa.Column("public_client", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("lwa_tokens", schema=None) as batch_op:
        batch_op.drop_column("public_client")
    op.drop_index(op.f("ix_skills_alexa_client_id"), table_name="skills")
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.drop_column("alexa_client_id")
