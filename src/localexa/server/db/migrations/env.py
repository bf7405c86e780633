"""Alembic environment: runs on the connection localexa hands it (see db/migrate.py)."""

from __future__ import annotations

from alembic import context

from localexa.server.db.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - localexa always passes its connection
    raise RuntimeError("localexa runs its migrations through localexa.server.db.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
