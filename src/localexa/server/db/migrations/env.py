"""Alembic environment: runs on the connection localexa hands it (see db/migrate.py), or offline,
writing a dialect's SQL instead of running it (how db/schema_snapshot.py takes PostgreSQL's
snapshot without a server)."""

from __future__ import annotations

from alembic import context

from localexa.server.db.models import metadata

if context.is_offline_mode():
    context.configure(
        dialect_name=context.config.attributes["dialect_name"],
        target_metadata=metadata,
        literal_binds=True,
        transactional_ddl=False,  # no BEGIN/COMMIT: the snapshot runs inside localexa's transaction
    )
    context.run_migrations()
else:
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
