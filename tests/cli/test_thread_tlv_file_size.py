"""`thread put --tlv-file` reads at most what a dataset's text could take: it read the whole file,
so `--tlv-file /dev/zero` (or a disk image given by mistake) read until memory ran out and ended
in a MemoryError traceback (QA of 2026-12-07). OpenThread's datasets hold at most 254 bytes."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import localexa
from tests.cli.conftest import Cli

#: The bound (localexa.cli.thread.MAX_TLV_FILE_BYTES), written out: the test ran before it existed.
MAX_TLV_FILE_BYTES = 64 * 1024
#: Address space for the child: enough for the CLI, far less than the machine's memory.
_CHILD_MEMORY = 2 * 1024**3


def test_a_file_longer_than_any_dataset_is_refused_before_it_is_parsed(cli: Cli, tmp_path: Path) -> None:
    big = tmp_path / "dataset.txt"
    big.write_bytes(b"00" * (MAX_TLV_FILE_BYTES // 2 + 1))

    result = cli.run("thread", "put", "--tlv-file", str(big), token="unused")

    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "holds more than 65536 bytes: no Thread dataset is that long" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_at_the_bound_is_still_read(cli: Cli, tmp_path: Path) -> None:
    """Exactly the bound: read and judged as a dataset (whitespace then no hex: no dataset)."""
    edge = tmp_path / "dataset.txt"
    edge.write_bytes(b" " * MAX_TLV_FILE_BYTES)

    result = cli.run("thread", "put", "--tlv-file", str(edge), token="unused")

    assert result.exit_code == 2
    assert "no dataset hex" in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero") or shutil.which("bash") is None, reason="needs /dev/zero")
def test_dev_zero_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOCALEXA_")}
    # This checkout's package, whatever the PYTHONPATH (a relative one would not hold in tmp_path).
    env["PYTHONPATH"] = str(Path(localexa.__file__).resolve().parents[1])
    args = ["--url", "http://127.0.0.1:9", "--token", "unused", "thread", "put", "--tlv-file", "/dev/zero"]

    # The shell's ulimit rather than preexec_fn, which is not safe in a process with threads.
    command = shlex.join([sys.executable, "-m", "localexa", *args])
    done = subprocess.run(
        ["bash", "-c", f"ulimit -v {_CHILD_MEMORY // 1024} && exec {command}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )

    assert done.returncode == 2, done.stderr[-2000:]
    assert "holds more than 65536 bytes" in done.stderr
