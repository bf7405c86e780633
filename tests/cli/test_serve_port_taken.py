"""`localexa serve` on a port another program holds: one line saying which, exit 1, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from localexa.testing.ports import free_port_block


@pytest.mark.parametrize("demo", ["--no-demo", "--demo"])
def test_a_taken_port_is_one_line_not_a_traceback(tmp_path: Path, demo: str) -> None:
    base = free_port_block()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base + 1))  # EU's port
        holder.listen()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "localexa",
                "serve",
                demo,
                "--port",
                str(base),
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
    assert done.returncode == 1, done.stderr
    assert f"cannot listen on 127.0.0.1:{base + 1} (EU)" in done.stderr
    assert "Traceback" not in done.stderr
    # --no-demo frees only My Lights' port: no hint to use it when EU's port is the one taken.
    assert "serve with --no-demo" not in done.stderr
