"""What the full mix (bench/soak.py) made a served process hold beyond the GET-only bench, and
does no more (README "Days of serving leak nothing").

- Password hashes: scrypt borrows 16 MiB per hash from malloc (N=2^14). Once glibc had unmapped
  one such block it raised its mmap threshold above that size, so every later hash's buffer came
  from an arena and stayed there: 16 MiB in the event loop thread's arena (new customers) and in
  the arena of every worker thread that checked a sign-in: 38 MB of a served process on SQLite,
  73 MB on PostgreSQL with Redis (more overlapping calls, more threads). core/native_memory.py.
- The first outbound call imported httpx with its command-line client, which imports rich and
  pygments (~70 modules, 3 MB) whenever they are installed, as they are for localexa's CLI.

Each runs in a fresh interpreter: the allocator's state and `sys.modules` are the process's own,
and the test process has changed both long before.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

#: What the process may grow by while 9 hashes run, 4 of them at once: thread stacks and the
#: arenas' bookkeeping. One buffer kept would be 16 MiB.
HASHING_SLACK_MB = 8


def _run(code: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_password_hashes_hand_their_scrypt_buffers_back_in_every_thread() -> None:
    grown = _run(
        """
        import json, threading
        from localexa.server.core.crypto import SecretBox

        def resident_mb():
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024

        box = SecretBox(b"k" * 32, password_hash_n=2**14)
        stored = box.hash_password("pw")  # a new customer, on the event loop's thread
        before = resident_mb()
        start = threading.Barrier(4)
        checked = []

        def sign_in():  # a sign-in's check, in a worker thread (asyncio.to_thread)
            start.wait()
            checked.append(SecretBox.verify_password("pw", stored))

        for _ in range(2):
            threads = [threading.Thread(target=sign_in) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        box.hash_password("another")
        print(json.dumps({"checked": checked, "grown_mb": resident_mb() - before}))
        """
    )
    assert grown["checked"] == [True] * 8
    assert isinstance(grown["grown_mb"], float)
    assert grown["grown_mb"] < HASHING_SLACK_MB, f"kept {grown['grown_mb']:.1f} MB after the hashes"


def test_an_outbound_call_loads_httpx_without_its_command_line_client() -> None:
    loaded = _run(
        """
        import asyncio, json, sys, threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from localexa.server.core.http import OutboundHttp

        class Skill(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Skill)
        threading.Thread(target=server.serve_forever, daemon=True).start()

        async def call():
            http = OutboundHttp()
            try:
                answer = await http.request("GET", f"http://127.0.0.1:{server.server_port}/", timeout=10)
            finally:
                await http.aclose()
            return answer.status, answer.body.decode()

        status, body = asyncio.run(call())
        server.shutdown()
        cli = sorted(m for m in sys.modules if m.split(".")[0] in ("rich", "pygments", "click"))
        from httpx._main import print_response  # still there for whoever asks for it by name

        print(json.dumps({"answer": [status, body], "httpx": "httpx" in sys.modules, "cli": cli,
                          "real": callable(print_response) and "rich" in sys.modules}))
        """
    )
    assert loaded == {"answer": [200, "ok"], "httpx": True, "cli": [], "real": True}
