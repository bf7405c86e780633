"""A SQLite file's write-ahead log goes back to its limit after a large write.

SQLite reuses the `-wal` file after a checkpoint and never shrinks it: after a reset of a 27 MB
state (its DELETEs are logged page by page) or the restore of a large snapshot, the `-wal` files
of a long-running server stayed at their peak (27 MB and 19 MB beside an empty state) until it
stopped (soak38 F1). `PRAGMA journal_size_limit` (db/engine.py `WAL_SIZE_LIMIT`) truncates it at
the first commit after the log restarts.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from localexa.server.db.engine import WAL_SIZE_LIMIT, create_engine


def _size(path: Path) -> int:
    return path.stat().st_size


async def test_the_wal_file_is_cut_back_to_its_limit_after_a_large_write(tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    engine = create_engine(f"sqlite:///{database}")
    wal = Path(f"{database}-wal")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)"))
        # One large transaction (a restore, a reset's DELETEs): the log grows past the limit.
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO t (body) VALUES (randomblob(8000))"), [{}] * (3 * WAL_SIZE_LIMIT // 8000)
            )
        peak = _size(wal)
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM t"))
        # Ordinary small writes afterwards: the checkpoint has copied the log into the file, the
        # log restarts from its beginning, and its first commit cuts it back.
        for n in range(3):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (body) VALUES (:n)"), {"n": str(n)})
        after = _size(wal)
    finally:
        await engine.dispose()
    assert peak > 2 * WAL_SIZE_LIMIT
    assert after <= WAL_SIZE_LIMIT, (peak, after)
