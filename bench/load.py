"""Load generation in a process of its own: wrk (Debian's `wrk`), else bench/pyload.py.

Every run is bounded in time (`seconds`) and sends only to 127.0.0.1. wrk runs one thread (the
machine has two cores: one for the server under test, one for the load); its latency numbers are
the `--latency` distribution. The Python fallback is much slower than wrk, so with it the load
generator, not the server, may be what limits the rate (the table says which tool ran).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class LoadResult:
    url: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    tool: str


def run_load(
    url: str,
    *,
    seconds: float,
    connections: int,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> LoadResult:
    if shutil.which("wrk") and not os.environ.get("BENCH_PYLOAD"):
        return _wrk(url, seconds, connections, headers or {}, body, content_type)
    return _python(url, seconds, connections, headers or {}, body, content_type)


def _wrk(
    url: str, seconds: float, connections: int, headers: dict[str, str], body: str | None, content_type: str
) -> LoadResult:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    env = dict(os.environ)
    if body is not None:
        command += ["-s", str(HERE / "post.lua")]
        env.update(BENCH_BODY=body, BENCH_CONTENT_TYPE=content_type)
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=True)
    return parse_wrk(url, done.stdout)


def parse_wrk(url: str, output: str) -> LoadResult:
    def latency(percent: str) -> float:
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        if found is None:
            raise ValueError(f"no {percent}% latency in wrk output:\n{output}")
        return float(found.group(1)) * _UNITS_MS[found.group(2)]

    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if total is None or rate is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return LoadResult(
        url=url,
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * _UNITS_MS[total.group(3)] / 1000,
        rps=float(rate.group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
        tool="wrk",
    )


def _python(
    url: str, seconds: float, connections: int, headers: dict[str, str], body: str | None, content_type: str
) -> LoadResult:
    spec = {
        "url": url,
        "seconds": seconds,
        "connections": connections,
        "headers": headers,
        "body": body,
        "content_type": content_type,
    }
    done = subprocess.run(
        [sys.executable, str(HERE / "pyload.py")],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    result = json.loads(done.stdout)
    return LoadResult(url=url, tool="python", **result)
