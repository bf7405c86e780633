"""`client.admin.snapshot_to(path)`, sync and async: the snapshot written to a file as it arrives,
never held whole (client/resources/snapshot_writer.py), and FILE replaced only by a whole one.

Against the real app over real HTTP (uvicorn on 127.0.0.1), and against raw HTTP servers on
127.0.0.1 that answer as no localexa would: cut short, held half-way, not a snapshot.
"""

from __future__ import annotations

import json
import os
import socketserver
import stat
import threading
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from fastapi import FastAPI

from localexa.client import APIConnectionError, APIResponseValidationError, AsyncClient, Client
from localexa.client.types import SnapshotWritten
from tests.conftest import ADMIN_KEY
from tests.factories import Admin
from tests.servers import serve_in_loop
from tests.snapshot_answers import (
    CUT_BODY,
    HEAD,
    OLDER,
    Answer,
    RawServer,
    cut,
    held,
    leftovers,
    raw_server,
    raw_servers,
    watch_partial,
    whole,
)

__all__ = ["raw_server", "raw_servers"]  # the fixtures


def _no_document_time(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "createdAt"}


async def test_both_clients_write_the_servers_snapshot_to_a_file(
    app: FastAPI, admin: Admin, tmp_path: Path
) -> None:
    await admin.customer(name="Kept")
    fresh, older = tmp_path / "fresh.json", tmp_path / "older.json"
    older.write_bytes(OLDER)
    older.chmod(0o644)
    async with serve_in_loop(app) as url:
        async with AsyncClient(base_url=url, admin_key=ADMIN_KEY) as sdk:
            written = await sdk.admin.snapshot_to(fresh)
            whole = await sdk.admin.snapshot()

        def sync_call() -> SnapshotWritten:
            with Client(base_url=url, admin_key=ADMIN_KEY) as client:
                return client.admin.snapshot_to(str(older))

        replaced = await anyio.to_thread.run_sync(sync_call)

    assert written == SnapshotWritten(fresh, fresh.stat().st_size)
    assert replaced == SnapshotWritten(older, older.stat().st_size)
    for path in (fresh, older):
        text = path.read_bytes()
        # The server's own bytes, not the document parsed and written again.
        assert text.startswith(b'{"format":"localexa.snapshot","version":1,"schemaRevision":')
        assert _no_document_time(json.loads(text)) == _no_document_time(whole)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # password hashes and sealed secrets
    assert leftovers(tmp_path) == []
    restored = await admin.client.post(
        "/_localexa/restore", content=fresh.read_bytes(), headers={"X-Localexa-Admin-Key": ADMIN_KEY}
    )
    assert restored.status_code == 200, restored.text


# -- answers no localexa gives (tests/snapshot_answers.py) --------------------------------------


def _snapshot_to(url: str, path: Path, *, asynchronous: bool) -> SnapshotWritten:
    if asynchronous:

        async def run() -> SnapshotWritten:
            async with AsyncClient(base_url=url, admin_key=ADMIN_KEY, max_retries=0) as sdk:
                return await sdk.admin.snapshot_to(path)

        return anyio.run(run)
    with Client(base_url=url, admin_key=ADMIN_KEY, max_retries=0) as client:
        return client.admin.snapshot_to(path)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_cut_answer_leaves_the_file_as_it_was(
    tmp_path: Path, asynchronous: bool, raw_server: RawServer
) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(OLDER)
    with raw_server(cut) as url, pytest.raises(APIConnectionError) as raised:
        _snapshot_to(url, target, asynchronous=asynchronous)
    assert f"The snapshot's answer was cut short after {len(CUT_BODY)} bytes (" in raised.value.message
    assert raised.value.message.endswith(f"); {target} was left as it was.")
    assert target.read_bytes() == OLDER
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("answer", "says"),
    [
        pytest.param(whole(b"<html>Sign in</html>", "text/html"), "answered text/html where", id="html"),
        pytest.param(whole(b'{"weird": [1, 2]}'), "answered no localexa snapshot", id="other-json"),
        pytest.param(whole(HEAD + b'"tables":{'), "ends before its closing brace", id="no-end"),
    ],
)
def test_an_answer_that_is_no_whole_snapshot_leaves_the_file_as_it_was(
    tmp_path: Path, asynchronous: bool, answer: Answer, says: str, raw_server: RawServer
) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(OLDER)
    with raw_server(answer) as url, pytest.raises(APIResponseValidationError, match=says):
        _snapshot_to(url, target, asynchronous=asynchronous)
    assert target.read_bytes() == OLDER
    assert leftovers(tmp_path) == []


def test_the_file_is_written_while_the_answer_arrives(tmp_path: Path, raw_server: RawServer) -> None:
    """Streamed, not held: the first part is on disk (beside FILE, which is untouched) while the
    server holds back the rest; FILE is replaced once the rest came."""
    target = tmp_path / "state.json"
    target.write_bytes(OLDER)
    first = HEAD + b'"tables":{"customers":['
    go_on = threading.Event()
    watcher, seen = watch_partial(tmp_path, len(first), target, go_on)
    with raw_server(held(first, b"]}}", go_on)) as url:
        watcher.start()
        written = _snapshot_to(url, target, asynchronous=False)
    watcher.join(30)
    assert seen == [first, OLDER], seen
    assert target.read_bytes() == first + b"]}}"
    assert written.bytes == len(first) + 3
    assert leftovers(tmp_path) == []


def test_an_answer_in_error_is_retried_before_anything_is_written(
    tmp_path: Path, raw_server: RawServer
) -> None:
    """An answer in error is read whole (its error needs it) and retried as any; the file is
    written from the answer that is a snapshot."""
    body = HEAD + b'"tables":{}}'
    answers = [
        # `Connection: close`: the raw server closes after each answer, and a retry sent on the
        # kept connection before its close was seen met "Server disconnected" (CI, 2026-12-07).
        b"HTTP/1.1 503 X\r\nContent-Type: application/json\r\nRetry-After: 0\r\nConnection: close\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    ]

    def once_busy(handler: socketserver.StreamRequestHandler) -> None:
        if answers:
            handler.wfile.write(answers.pop())
            return
        whole(body)(handler)

    target = tmp_path / "state.json"
    with raw_server(once_busy) as url, Client(base_url=url, admin_key=ADMIN_KEY, max_retries=1) as client:
        written = client.admin.snapshot_to(target)
    assert answers == []
    assert target.read_bytes() == body
    assert written == SnapshotWritten(target, len(body))


def test_a_device_is_written_in_place(tmp_path: Path, raw_server: RawServer) -> None:
    """`/dev/null` (any device or pipe) is written, not replaced, and keeps its mode."""
    body = HEAD + b'"tables":{}}'
    mode = stat.S_IMODE(os.stat("/dev/null").st_mode)
    with raw_server(whole(body)) as url:
        written = _snapshot_to(url, Path("/dev/null"), asynchronous=False)
    assert written == SnapshotWritten(Path("/dev/null"), len(body))
    assert stat.S_IMODE(os.stat("/dev/null").st_mode) == mode


def test_a_path_that_cannot_be_written_fails_before_the_call(tmp_path: Path, raw_server: RawServer) -> None:
    asked: list[bool] = []

    def answer(handler: socketserver.StreamRequestHandler) -> None:
        asked.append(True)
        whole(HEAD + b'"tables":{}}')(handler)

    with raw_server(answer) as url:
        with pytest.raises(FileNotFoundError):
            _snapshot_to(url, tmp_path / "no" / "state.json", asynchronous=False)
        with pytest.raises(IsADirectoryError):
            _snapshot_to(url, tmp_path, asynchronous=True)
    assert asked == []


def test_a_symlink_keeps_pointing_at_the_new_snapshot(tmp_path: Path, raw_server: RawServer) -> None:
    """The file a symlink names is replaced, beside itself; the link stays a link (written through
    it, as the file was opened before)."""
    body = HEAD + b'"tables":{}}'
    (tmp_path / "kept").mkdir()
    real = tmp_path / "kept" / "state.json"
    real.write_bytes(OLDER)
    link = tmp_path / "state.json"
    link.symlink_to(real)
    with raw_server(whole(body)) as url:
        _snapshot_to(url, link, asynchronous=False)
    assert link.is_symlink()
    assert real.read_bytes() == body
    assert leftovers(tmp_path / "kept") == []
