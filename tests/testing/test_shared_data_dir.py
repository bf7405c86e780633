"""A `data_dir=` of the caller's used by the server of another live test process (two xdist
workers given the same `localexa_server_options["data_dir"]`) is refused at start: sharing it,
each worker's reset wiped the other's data (until 2026-12-06)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from localexa.testing import LocalexaServer, LocalexaServerError
from localexa.testing.leftovers import (
    USER_FILE,
    _machine,
    _start_time,
    claim_data_dir,
    current_owner,
    release_data_dir,
)

pytestmark = pytest.mark.skipif(current_owner() is None, reason="no /proc: nothing is marked")


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def _tag(pid: int) -> str:
    return f"{_machine()}:{pid}:{_start_time(pid)}"


def test_a_data_dir_another_live_test_process_uses_is_refused(
    tmp_path: Path, other_process: subprocess.Popen[bytes]
) -> None:
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    (data_dir / USER_FILE).write_text(_tag(other_process.pid))
    with pytest.raises(
        LocalexaServerError, match="in use by the server of another live test process"
    ) as caught:
        LocalexaServer(data_dir=data_dir).start()
    assert f"pid {other_process.pid}" in str(caught.value)
    assert "PYTEST_XDIST_WORKER" in str(caught.value)
    assert (data_dir / USER_FILE).read_text() == _tag(other_process.pid)  # the other's mark stays


def test_a_mark_of_a_process_that_is_gone_or_ours_does_not_block(
    tmp_path: Path, other_process: subprocess.Popen[bytes]
) -> None:
    tag = _tag(other_process.pid)
    other_process.kill()
    other_process.wait()
    (tmp_path / USER_FILE).write_text(tag)
    assert claim_data_dir(tmp_path) == ""
    assert claim_data_dir(tmp_path) == ""  # our own mark: a restart in the same process
    assert (tmp_path / USER_FILE).read_text() == current_owner()
    release_data_dir(tmp_path)
    assert not (tmp_path / USER_FILE).exists()
    (tmp_path / USER_FILE).write_text("another:machine:1:2")  # not ours: stays
    release_data_dir(tmp_path)
    assert (tmp_path / USER_FILE).exists()
