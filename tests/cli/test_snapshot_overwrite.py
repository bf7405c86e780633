"""`admin snapshot -o FILE` replaces only an empty file or a localexa snapshot unless --force
(README "Command line", since 2026-12-06): pointed at the data directory's admin-key it replaced
the key."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

from tests.cli.conftest import Cli


def test_a_file_that_is_no_snapshot_is_kept(cli: Cli, tmp_path: Path) -> None:
    key = tmp_path / "admin-key"
    key.write_text("the-admin-key\n")
    result = cli.run("admin", "snapshot", "-o", str(key))
    assert result.exit_code == 2, result.output
    assert "is not a localexa snapshot; pass --force" in " ".join(result.stderr.replace("│", " ").split())
    assert key.read_text() == "the-admin-key\n"


def test_force_replaces_it(cli: Cli, tmp_path: Path) -> None:
    key = tmp_path / "notes.txt"
    key.write_text("notes\n")
    cli.ok("admin", "snapshot", "-o", str(key), "--force")
    assert json.loads(key.read_text())["format"] == "localexa.snapshot"


def test_a_snapshot_an_empty_file_or_a_new_path_is_written(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("")
    for path in (tmp_path / "new.json", empty, tmp_path / "new.json"):
        cli.ok("admin", "snapshot", "-o", str(path))
        assert json.loads(path.read_text())["format"] == "localexa.snapshot"


def test_a_pipe_keeps_its_mode(cli: Cli, tmp_path: Path) -> None:
    """`-o` a FIFO (as `/dev/stdout` into a pipe, or `/dev/null`) writes it and leaves its mode:
    narrowed to 0600, root's `-o /dev/null` made /dev/null unwritable for everyone else."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o644)
    fifo.chmod(0o644)
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()))
    reader.start()
    cli.ok("admin", "snapshot", "-o", str(fifo))
    reader.join(10)
    assert json.loads(read[0])["format"] == "localexa.snapshot"
    assert stat.S_IMODE(fifo.stat().st_mode) == 0o644
