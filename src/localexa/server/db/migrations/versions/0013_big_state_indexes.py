"""indexes for a server holding a lot of state: newest-first pages, and the deletes' cascades

Revision ID: 0013_big_state_indexes
Revises: 0011_journal_ids_never_reused
Create Date: 2026-12-07 18:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_big_state_indexes"
down_revision: str | None = "0012_revoked_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (index, table, columns). The console's pages and the admin listings read a table newest first
#: (`created_at`, then the key): without an index every page read and sorted the whole table
#: (100,000 Thread networks: ~200 ms a page). A delete's ON DELETE CASCADE finds the rows that
#: refer to the deleted one by the referring column: without an index it read the whole table,
#: once per deleted row (a skill's delete read 500,000 tokens twice, once per client).
INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    ("ix_customers_created_at", "customers", ["created_at", "id"]),
    ("ix_vendors_created_at", "vendors", ["created_at", "id"]),
    ("ix_skills_created_at", "skills", ["created_at", "id"]),
    ("ix_lwa_clients_created_at", "lwa_clients", ["created_at", "client_id"]),
    ("ix_enablements_created_at", "enablements", ["created_at", "id"]),
    ("ix_thread_networks_created_at", "thread_networks", ["created_at", "id"]),
    ("ix_capability_evaluations_created_at", "capability_evaluations", ["created_at", "id"]),
    ("ix_lwa_tokens_client_id", "lwa_tokens", ["client_id"]),
    ("ix_lwa_authorization_codes_client_id", "lwa_authorization_codes", ["client_id"]),
    ("ix_lwa_authorization_codes_user_id", "lwa_authorization_codes", ["user_id"]),
    ("ix_skill_messages_skill_id", "skill_messages", ["skill_id"]),
    ("ix_discovered_endpoints_skill_id", "discovered_endpoints", ["skill_id"]),
    ("ix_after_link_status_skill_id", "after_link_status", ["skill_id"]),
    ("ix_skills_messaging_client_id", "skills", ["messaging_client_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
