"""journal: SQLite never reuses an entry's id (AUTOINCREMENT), so a cursor from before a reset finds nothing after it

Revision ID: 0011_journal_ids_never_reused
Revises: 0010_after_link_leases
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_journal_ids_never_reused"
down_revision: str | None = "0010_after_link_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The journal's indexed columns, as 0001_initial made their indexes.
_INDEXED = ("at", "customer", "request_id", "skill")


def _rebuild(*, autoincrement: bool) -> None:
    # An `INTEGER PRIMARY KEY` takes the highest id in the table plus one: after a reset emptied
    # the journal, ids began at 1 again, and a `nextCursor` from before the reset paged through
    # the new entries. With AUTOINCREMENT SQLite keeps the highest id it ever gave (in
    # `sqlite_sequence`), as PostgreSQL's identity does. SQLite cannot add it to a table: batch
    # mode makes the table anew and copies every row (ids kept, so the sequence starts past them).
    # The journal file beside a SQLite database (observe/journal_store.py) is rebuilt likewise.
    # The indexes are dropped and made again here, in a fixed order: batch mode would carry them
    # over in the order of a set, and the schema snapshot would differ from run to run.
    if op.get_context().dialect.name != "sqlite":
        return
    for column in _INDEXED:
        op.drop_index(f"ix_journal_entries_{column}", table_name="journal_entries")
    with op.batch_alter_table(
        "journal_entries", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    for column in _INDEXED:
        op.create_index(f"ix_journal_entries_{column}", "journal_entries", [column], unique=False)


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
