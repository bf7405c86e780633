"""`localexa admin snapshot -o FILE` writes the answer to the file as it arrives (beside FILE, then
renamed over it), never holding the whole document (since 2026-12-07: a big server's 85 MB
snapshot was parsed whole and written indented). A cut answer exits 6 and leaves FILE as it was.

Against the session's real server (`cli`) and a raw HTTP server on 127.0.0.1 that answers as no
localexa would (tests/snapshot_answers.py).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from localexa.testing import Localexa
from tests.cli.bad_server import flat, invoke
from tests.cli.conftest import Cli
from tests.snapshot_answers import (
    CUT_BODY,
    HEAD,
    OLDER,
    RawServer,
    cut,
    held,
    leftovers,
    raw_server,
    raw_servers,
    watch_partial,
)

__all__ = ["raw_server", "raw_servers"]  # the fixtures


def test_the_file_holds_the_servers_bytes_and_says_their_size(
    cli: Cli, localexa: Localexa, tmp_path: Path
) -> None:
    localexa.create_customer(name="Kept")
    target = tmp_path / "state.json"
    done = cli.ok("admin", "snapshot", "-o", str(target))
    written = target.read_bytes()
    # As the server wrote it (compact), not parsed and written again indented.
    assert written.startswith(b'{"format":"localexa.snapshot","version":1,"schemaRevision":')
    assert [row["name"] for row in json.loads(written)["tables"]["customers"]] == ["Kept"]
    assert done.stderr == f"wrote {target} ({len(written)} bytes)\n"
    assert leftovers(tmp_path) == []


def test_the_file_fills_while_the_answer_arrives(tmp_path: Path, raw_server: RawServer) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(OLDER)
    first = HEAD + b'"tables":{"customers":['
    go_on = threading.Event()
    watcher, seen = watch_partial(tmp_path, len(first), target, go_on)
    with raw_server(held(first, b"]}}", go_on)) as url:
        watcher.start()
        result = invoke(["admin", "snapshot", "-o", str(target)], url=url)
    watcher.join(30)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert seen == [first, OLDER], seen  # on disk beside FILE, which was still the older one
    assert target.read_bytes() == first + b"]}}"
    assert leftovers(tmp_path) == []


def test_a_cut_answer_exits_6_and_leaves_the_file_as_it_was(tmp_path: Path, raw_server: RawServer) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(OLDER)
    with raw_server(cut) as url:
        result = invoke(["admin", "snapshot", "-o", str(target)], url=url)
    assert result.exit_code == 6, (result.stdout, result.stderr)
    said = flat(result.stderr)
    assert f"the snapshot's answer was cut short after {len(CUT_BODY)} bytes" in said, said
    assert f"{target} was left as it was".lower() in said
    assert result.stdout == ""
    assert target.read_bytes() == OLDER
    assert leftovers(tmp_path) == []


def test_a_cut_snapshot_file_is_replaced_without_force(cli: Cli, tmp_path: Path) -> None:
    """A file that starts as a snapshot is one, whatever follows (an older run's cut file too):
    FILE is no longer read and parsed whole to tell (an 85 MB one took several times its size)."""
    target = tmp_path / "state.json"
    target.write_bytes(CUT_BODY)
    cli.ok("admin", "snapshot", "-o", str(target))
    assert json.loads(target.read_bytes())["format"] == "localexa.snapshot"
