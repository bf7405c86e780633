"""Regenerate the initial Alembic migration from the models (before the first release only).

    .venv/bin/python scripts/regen_migration.py

It autogenerates `0001_initial` against an empty SQLite file, replacing the old file. After the
first release, add new revisions with `alembic revision --autogenerate` instead: once any revision
after `0001_initial` exists, the script refuses before it touches anything (since 2026-12-06; it
deleted `0001_initial.py`, then failed, and left the migrations broken). Either way, then
refresh the schema snapshots, SQLite and PostgreSQL (this script does it):
`.venv/bin/python -m localexa.server.db.schema_snapshot`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import Connection

from localexa.server.db import schema_snapshot
from localexa.server.db.engine import create_engine
from localexa.server.db.migrate import MIGRATIONS_DIR, alembic_config


def _generate(connection: Connection) -> None:
    config = alembic_config(connection)
    config.set_main_option("file_template", "%%(rev)s")
    command.revision(config, message="initial", autogenerate=True, rev_id="0001_initial")


def later_revisions(versions: Path) -> list[str]:
    """The revision scripts after `0001_initial` (their presence means a release used it)."""
    return sorted(p.name for p in versions.glob("*.py") if not p.name.startswith(("0001_initial", "__")))


def refuse_after_the_first_release(versions: Path) -> None:
    later = later_revisions(versions)
    if later:
        raise SystemExit(
            f"regen_migration.py regenerates 0001_initial before the first release only; {len(later)} "
            f"later revision(s) build on it ({', '.join(later)}), so nothing was changed. Add a new "
            "revision with `alembic revision --autogenerate` instead (README, How the code is laid out)."
        )


async def main() -> None:
    refuse_after_the_first_release(MIGRATIONS_DIR / "versions")  # before anything is touched
    for old in (MIGRATIONS_DIR / "versions").glob("0001_initial*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'empty.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(_generate)
        await engine.dispose()
    versions = str(MIGRATIONS_DIR / "versions")
    # Our own formatter on our own file, after the work is done.
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--quiet", versions], check=True)  # noqa: S603, ASYNC221
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", versions], check=True)  # noqa: S603, ASYNC221
    print("regenerated", *sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py")))


if __name__ == "__main__":
    asyncio.run(main())
    schema_snapshot.main()  # what a new database is created from (db/schema_snapshot.py)
