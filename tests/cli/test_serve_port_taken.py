"""`localexa serve` on a port another program holds: one line saying which, exit 1, no traceback."""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from localexa.cli.serve_listen import bind_socket
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


def test_a_port_another_starting_server_bound_is_refused_at_once() -> None:
    """Two `localexa serve` started at the same moment on overlapping ports: the second's bind of
    a port the first has bound but not yet served must fail (before, both bound it with
    SO_REUSEADDR, both said "listening", and one listener never answered)."""
    port = free_port_block(size=1)
    first = bind_socket("127.0.0.1", port)
    try:
        with pytest.raises(OSError, match="in use") as refused:
            bind_socket("127.0.0.1", port).close()
        assert refused.value.errno == errno.EADDRINUSE
    finally:
        first.close()
    # Restarting at once on the same port is not refused (SO_REUSEADDR: no wait for TIME_WAIT).
    again = bind_socket("127.0.0.1", port)
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # queued by the kernel before anything serves it
    again.close()
    bind_socket("127.0.0.1", port).close()
