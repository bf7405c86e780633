"""The SQLite driver that runs statements on the event loop's thread (db/inline_sqlite.py)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text

from localexa.server.db.engine import _acquire_within, create_engine


async def test_sqlite_urls_run_on_the_loop_thread_with_the_usual_pragmas(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")
    threads: set[int] = set()
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *_: threads.add(threading.get_ident()))
    try:
        assert engine.dialect.driver == "localexa"
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
            await conn.execute(text("INSERT INTO t (v) VALUES ('a'), ('b')"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA cache_size"))).scalar() == -512
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 2
        assert threads == {threading.get_ident()}
    finally:
        await engine.dispose()


async def test_writers_of_one_process_take_turns_without_blocking_the_loop(tmp_path: Path) -> None:
    """Writer B waits on the asyncio lock while writer A holds its transaction open across an
    await: another task runs meanwhile and both writes land. (Were B waiting in SQLite's busy
    handler, the loop would stop: the probe could not run, A could never commit, and B would fail
    with "database is locked" when the busy timeout ran out.)

    Ordering only, no durations: A holds its transaction until the probe has looked, so a slow
    moment (a garbage collection in a long test process, a loaded CI machine) cannot reorder them.
    Versions that counted ticks, then that raced a 0.2 s sleep of A, failed in CI that way."""
    engine = create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    a_holds, b_waits, probe_looked = asyncio.Event(), asyncio.Event(), asyncio.Event()
    b_inside = False
    probe_saw_b_waiting = False

    async def writer_a() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
            a_holds.set()
            await probe_looked.wait()  # an await inside the transaction (an outbound call, say)

    async def writer_b() -> None:
        nonlocal b_inside
        await a_holds.wait()
        b_waits.set()
        async with engine.begin() as conn:
            b_inside = True
            await conn.execute(text("INSERT INTO t (v) VALUES ('b')"))

    async def probe() -> None:
        nonlocal probe_saw_b_waiting
        await b_waits.wait()
        await asyncio.sleep(0.01)  # B is in its BEGIN by now
        probe_saw_b_waiting = not b_inside
        probe_looked.set()

    await asyncio.wait_for(asyncio.gather(writer_a(), writer_b(), probe()), timeout=10)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all() == ["a", "b"]
    await engine.dispose()
    assert probe_saw_b_waiting  # the loop ran while B waited for A


async def test_two_engines_on_one_file_take_turns_without_blocking_the_loop(tmp_path: Path) -> None:
    """As above with two engines on one file in one process (two apps in one process, as
    tests/enablement/test_rate_limit.py's pair behind one Redis): B queues on the file's lock.
    With a lock per engine B waited in SQLite's busy handler, which stopped the loop: A could
    never commit, and B failed with "database is locked" after the 30 s busy timeout."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine_a, engine_b = create_engine(url), create_engine(url)
    async with engine_a.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    a_holds, b_waits, probe_looked = asyncio.Event(), asyncio.Event(), asyncio.Event()
    b_inside = False
    probe_saw_b_waiting = False

    async def writer_a() -> None:
        async with engine_a.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
            a_holds.set()
            await probe_looked.wait()

    async def writer_b() -> None:
        nonlocal b_inside
        await a_holds.wait()
        b_waits.set()
        async with engine_b.begin() as conn:
            b_inside = True
            await conn.execute(text("INSERT INTO t (v) VALUES ('b')"))

    async def probe() -> None:
        nonlocal probe_saw_b_waiting
        await b_waits.wait()
        await asyncio.sleep(0.01)
        probe_saw_b_waiting = not b_inside
        probe_looked.set()

    try:
        await asyncio.wait_for(asyncio.gather(writer_a(), writer_b(), probe()), timeout=10)
        async with engine_b.connect() as conn:
            assert (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all() == ["a", "b"]
    finally:
        await engine_a.dispose()
        await engine_b.dispose()
    assert probe_saw_b_waiting


async def test_a_free_writer_lock_is_taken_without_going_round_the_loop() -> None:
    lock = asyncio.Lock()
    went_round: list[bool] = []
    asyncio.get_running_loop().call_soon(went_round.append, True)
    await _acquire_within(lock, 1.0)
    assert lock.locked()
    assert went_round == []  # asyncio.wait_for would have run the callback first (a new task)
    lock.release()


async def test_a_held_writer_lock_is_waited_for_until_the_deadline() -> None:
    lock = asyncio.Lock()
    await lock.acquire()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        await _acquire_within(lock, 0.05)
    assert loop.time() - started >= 0.05
    loop.call_later(0.02, lock.release)  # released in time: the next writer gets it
    await _acquire_within(lock, 1.0)
    assert lock.locked()
    lock.release()
    assert not lock.locked()
