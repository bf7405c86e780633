"""A small asyncio load generator, the fallback of bench/load.py when wrk is missing.

Reads one JSON spec on stdin ({"url", "seconds", "connections", "headers", "body",
"content_type"}), keeps `connections` requests in flight on keep-alive connections until the time
is up, and prints {"requests", "seconds", "rps", "p50_ms", "p99_ms", "non_2xx", "errors"}.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

import httpx


async def worker(
    client: httpx.AsyncClient,
    spec: dict[str, Any],
    deadline: float,
    latencies: list[float],
    counts: dict[str, int],
) -> None:
    method = "POST" if spec.get("body") is not None else "GET"
    headers = dict(spec.get("headers") or {})
    content = None
    if method == "POST":
        headers["Content-Type"] = spec.get("content_type") or "application/x-www-form-urlencoded"
        content = str(spec["body"]).encode()
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            response = await client.request(method, spec["url"], headers=headers, content=content)
        except httpx.HTTPError:
            counts["errors"] += 1
            continue
        latencies.append((time.perf_counter() - started) * 1000)
        if not 200 <= response.status_code < 400:
            counts["non_2xx"] += 1


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    connections = int(spec["connections"])
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    counts = {"non_2xx": 0, "errors": 0}
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        started = time.monotonic()
        deadline = started + float(spec["seconds"])
        await asyncio.gather(*(worker(client, spec, deadline, latencies, counts) for _ in range(connections)))
        elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": cuts[49],
        "p99_ms": cuts[98],
        **counts,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.stdin.read())))))
