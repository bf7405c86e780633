"""The cost of one request in process: for telling whether a code change made a route cheaper.

    .venv/bin/python -m bench.per_request get|thread|refresh [--requests 2000]
    .venv/bin/python -m bench.per_request get --instructions    # needs valgrind (Debian's package)
    .venv/bin/python -m bench.per_request get --instructions --redis-url redis://127.0.0.1:6379/14

The whole app (`create_app` with `localexa serve`'s deferred model building) runs on a new SQLite
file, seeded like bench/run.py's servers, and requests go straight into it as ASGI calls (no
socket, no HTTP parser, no client library): what is counted is localexa and its stack.

- Without options: CPU time of this thread per request (`time.thread_time()`), best of 3 runs.
  On a shared machine it moves by 20-30 % from one minute to the next.
- `--redis-url`: the token epoch and the rate limits go to Redis, as with several processes
  (the client's side is counted; Redis's own work is another process's).
- `--instructions`: the same app run twice under `valgrind --tool=callgrind` (100 and 400
  requests, hash seed fixed) and the instructions per request, their difference / 300. Counted
  one run at a time it moves ~1 % (two runs at once differed by up to ~10 %: timed work such as
  the journal's linger batches differently on a busy machine), so count before and after one
  after the other; it is what bench/HISTORY.md "Made faster" quotes as "instructions per request". ~70 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import servers

ROUTES = ("get", "thread", "refresh")

Call = Callable[[], Awaitable[int]]


async def asgi_call(
    app: Any, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b"", query: bytes = b""
) -> tuple[int, bytes]:
    """One request through the app, as uvicorn would hand it over."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080")] + [(k.encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    await app(scope, receive, send)
    return status, b"".join(chunks)


async def seed(app: Any, route: str) -> Call:
    """bench/run.py's world (`servers.seed_world`, through the app in process); returns the
    request to repeat."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as http:
        world = await servers.seed_world(http)
    method, body, query = "GET", b"", b""
    if route == "get":
        path = f"/v1/skills/{world.skill_id}/stages/development/enablement"
        headers = [("authorization", f"Bearer {world.developer_token}")]
    elif route == "thread":
        path = "/credentiallocker/v2/threadNetworks"
        headers = [("authorization", f"Bearer {world.locker_token}")]
        query = f"extendedPanId={world.extended_pan_id}".encode()
    else:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": world.refresh_token,
            "client_id": world.client_id,
            "client_secret": world.client_secret,
        }
        method, path, body = "POST", "/auth/o2/token", urlencode(form).encode()
        headers = [("content-type", "application/x-www-form-urlencoded")]

    async def call() -> int:
        status, _ = await asgi_call(app, method, path, headers, body, query)
        return status

    return call


async def measure(route: str, requests: int, repeats: int) -> list[float]:
    """µs of CPU per request for each of `repeats` runs of `requests` requests."""
    from localexa.cli.serve_run import defer_model_building

    defer_model_building()
    from localexa.server.app import create_app
    from localexa.server.settings import Settings

    app = create_app(Settings(data_dir=Path(tempfile.mkdtemp(prefix="localexa-bench-")), demo=False))
    async with app.router.lifespan_context(app):
        call = await seed(app, route)
        for _ in range(200):  # warm: lazy builds, caches, the statement cache
            status = await call()
            assert status in (200, 204), status
        runs = []
        for _ in range(repeats):
            started = time.thread_time()
            for _ in range(requests):
                await call()
            runs.append((time.thread_time() - started) / requests * 1e6)
        return runs


def callgrind_instructions(route: str, requests: int) -> int:
    """Instructions of a whole run of `requests` requests (start-up included) under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable]
        command += ["-m", "bench.per_request", route, "--requests", str(requests), "--repeats", "1"]
        subprocess.run(command, env=env, check=True, capture_output=True)
        totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        assert totals, "callgrind wrote no totals"
        return int(totals.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("route", choices=ROUTES)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind")
    parser.add_argument(
        "--redis-url", help="serve with LOCALEXA_REDIS_URL (the token epoch and the rate limits in Redis)"
    )
    args = parser.parse_args()
    if args.redis_url:
        os.environ["LOCALEXA_REDIS_URL"] = args.redis_url  # Settings reads it, here and under callgrind
    os.environ.setdefault("LOCALEXA_ADMIN_KEY", servers.ADMIN_KEY)
    os.environ.setdefault("LOCALEXA_RATE_LIMIT", "1000000000/minute")
    os.environ.setdefault("LOCALEXA_LOG_LEVEL", "warning")
    if args.instructions:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:  # the two runs side by side (2 cores)
            few, many = pool.map(lambda n: callgrind_instructions(args.route, n), (100, 400))
        print(f"{args.route}: {(many - few) / 300 / 1e6:.3f} million instructions per request (callgrind)")
        return
    runs = asyncio.run(measure(args.route, args.requests, args.repeats))
    print(f"{args.route}: " + ", ".join(f"{r:.0f}" for r in runs) + " µs of CPU per request")


if __name__ == "__main__":
    main()
