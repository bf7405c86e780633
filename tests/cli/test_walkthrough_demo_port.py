"""`localexa serve` (demo on) when My Lights' port (port+3) is taken: one line naming it, exit 1.

My Lights' own uvicorn server used to find out, after localexa had started: the start ended in
"cannot start: asyncio.exceptions.CancelledError", a traceback and exit status 3."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from localexa.testing.ports import free_port_block


def test_a_taken_my_lights_port_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    base = free_port_block(size=4)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base + 3))  # My Lights' port
        holder.listen()
        done = subprocess.run(
            [sys.executable, "-m", "localexa", "serve", "--port", str(base), "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert f"cannot listen on 127.0.0.1:{base + 3} (My Lights): Address already in use." in done.stderr
    assert "--no-demo" in done.stderr
    assert "Traceback" not in output
    assert "localexa listening" not in output  # nothing claimed to serve
