"""Soak: a long-running `localexa serve` under a realistic mixed workload leaks nothing.

    .venv/bin/python -m bench.soak --seconds 300
    .venv/bin/python -m bench.soak --seconds 300 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/soak --redis-url redis://127.0.0.1:6379/12

Starts `localexa serve` (bench/servers.py) and, on 127.0.0.1 in this process, a skill host: the
My Lights sample (its OAuth server is the skills' account-linking token URL, its `/skill` the
skill endpoint) behind a `/skill` that answers some directives slowly, with an HTTP 500, with
broken JSON or not in time, and a token URL that answers too late. Then it loops rounds of a mix
(`Workload.round`), several customers at once:

- LWA authorization-code sign-ins through the `/ap/oa` pages with PKCE (every other one posts
  its sign-in as multipart/form-data with a file part), refresh and client_credentials grants,
  tokeninfo and profile;
- enable-and-link with app-to-app linking, so the after-link Discover and AcceptGrant run (My
  Lights exchanges the grant code at LWA), then disable; links whose token URL refuses (a new
  port each round) or answers too late;
- directives answered, slow, erroring, broken and timing out, to an HTTP skill and to a
  `python:` Lambda-style skill (My Lights' handler in worker processes, forwarding to the skill
  host), a caller that gives up before the answer, and a skill with a new `python:` handler of
  its own each round;
- events to the gateway (good, invalid, bad token), Credential Locker PUTs and paged lists;
- a burst of authenticated GETs at once (the pools' peak);
- a capability evaluation run to its end; faults created, hit and deleted; console sign-in,
  pages and sign-out; journal reads; every third round a snapshot and restore, every sixth a
  reset (the next round seeds its world again).

From outside the process, at every round's end, it samples (`Probe`, bench/process_probe.py): resident memory
(`/proc/<pid>/status`), open file descriptors by kind, threads, child processes (Lambda workers),
the process's TCP sockets by state (`/proc/<pid>/net/tcp*` by the inodes of its fds), SQLite
files held open, temp files (the server gets a TMPDIR of its own), PostgreSQL backends of its
database (`pg_stat_activity`), Redis clients of its database (`CLIENT LIST`), the number of
series on `/metrics` and the in-process gauges `/metrics` shows (`localexa_in_memory_entries`,
asyncio tasks, pooled connections, Lambda workers). The table compares the first sample after
the warm-up rounds with the last, per 1,000 requests localexa answered
(`localexa_http_requests_total`), with the highest value seen in between.

tests/scale/test_no_leaks.py runs the same rounds for a few seconds and asserts that nothing
grows (README "Performance, scale and crash safety").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import servers
from bench.process_probe import Probe, Sample
from bench.soak_calls import MYLIGHTS_CLIENT, MYLIGHTS_SECRET, Mix
from bench.soak_host import DIRECTIVE_TIMEOUT, TOKEN_EXCHANGE_TIMEOUT, serve_in_thread, skill_host_app
from bench.soak_workload import Workload
from localexa.samples.mylights import DeviceCloud, MyLightsConfig

# -- running it -----------------------------------------------------------------------------------


@dataclass
class Soak:
    """A served process, the skill host and the workload, ready to run rounds and sample."""

    server: servers.Child
    probe: Probe
    workload: Workload


def server_environment(
    skill_host: str, tmp_dir: Path, handlers: Path, *, password_n: int | None = None
) -> dict[str, str]:
    env = {
        # Lambda-style workers get the server's import path: the soak's own handlers are here.
        "PYTHONPATH": os.pathsep.join(p for p in (str(handlers), os.environ.get("PYTHONPATH")) if p),
        # The Lambda-style handler (My Lights') hands each directive to the skill host's /skill.
        "MYLIGHTS_URL": skill_host,
        "LOCALEXA_DIRECTIVE_TIMEOUT": str(DIRECTIVE_TIMEOUT),
        "LOCALEXA_TOKEN_EXCHANGE_TIMEOUT": str(TOKEN_EXCHANGE_TIMEOUT),
        # Temp files the process makes land here, where the probe counts them.
        "TMPDIR": str(tmp_dir),
        # Snapshots of a few rounds' state are over the default 1 MiB a restore may send.
        "LOCALEXA_MAX_BODY_BYTES": str(32 * 1024 * 1024),
    }
    if password_n:
        env["LOCALEXA_PASSWORD_HASH_N"] = str(password_n)
    return env


@contextlib.contextmanager
def soak_server(
    root: Path,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    mix: Mix | None = None,
    password_n: int | None = None,
    close_connections: bool = False,
) -> Iterator[Soak]:
    """The skill host (in a thread of this process) and `localexa serve` beside it.

    `close_connections`: the skill host closes every connection after its answer, so no
    keep-alive connection of the server's outbound pool is left open when it is sampled."""
    tmp_dir, handlers = root / "server-tmp", root / "handlers"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    handlers.mkdir(parents=True, exist_ok=True)
    config = MyLightsConfig(
        client_id=MYLIGHTS_CLIENT, client_secret=MYLIGHTS_SECRET, send_change_reports=False
    )
    cloud = DeviceCloud(config)
    with serve_in_thread(skill_host_app(cloud, close_connections=close_connections)) as skill_host:
        server = servers.localexa(root / "data", database_url=database_url, redis_url=redis_url)
        server.env.update(server_environment(skill_host, tmp_dir, handlers, password_n=password_n))
        server.start()
        try:
            assert server.process is not None
            base = server.health_url.rsplit("/_localexa", 1)[0]
            config.lwa_base_url = base
            config.events_base_url = base
            probe = Probe(
                server.process.pid, base, tmp_dir=tmp_dir, database_url=database_url, redis_url=redis_url
            )
            workload = Workload(base, skill_host, cloud, handlers=handlers, mix=mix or Mix())
            yield Soak(server, probe, workload)
        finally:
            server.stop()


def growth_table(first: Sample, last: Sample, peaks: dict[str, float]) -> str:
    served = max(1, last.requests - first.requests)
    lines = [
        f"| measured ({served:,} requests between) | after warm-up | end | growth | per 1,000 requests"
        " | highest |",
        "|---|---|---|---|---|---|",
    ]
    names = list(dict.fromkeys([*first.values, *last.values]))
    for name in names:
        start, end = first.values.get(name, 0.0), last.values.get(name, 0.0)
        grown = end - start
        per_1000 = grown * 1000 / served
        highest = _num(peaks.get(name, end))
        lines.append(f"| {name} | {_num(start)} | {_num(end)} | {grown:+g} | {per_1000:+.3f} | {highest} |")
    return "\n".join(lines)


def _num(value: float) -> str:
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


async def _run(soak: Soak, seconds: float, warm_up_rounds: int) -> None:
    workload, probe = soak.workload, soak.probe
    started = time.monotonic()
    for _ in range(warm_up_rounds):
        await workload.round()
    await workload.drop_connections()
    first = await probe.settle(outbound=False)
    print(
        f"warm-up: {warm_up_rounds} rounds, {first.requests:,} requests, {time.monotonic() - started:.0f} s",
        flush=True,
    )
    peaks = dict(first.values)
    last = first
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await workload.round()
        last = await probe.sample()
        for name, value in last.values.items():
            peaks[name] = max(peaks.get(name, value), value)
        seen = last.values
        print(
            f"round {workload.rounds}: {last.requests:,} requests, RSS {seen['resident memory (MB)']} MB,"
            f" fds {seen['open fds']:.0f}, threads {seen['threads']:.0f},"
            f" children {seen['child processes']:.0f}",
            flush=True,
        )
    # The last sample as the first: the caller's connections closed, nothing under way.
    await workload.drop_connections()
    last = await probe.settle(outbound=False)
    print()
    print(f"{workload.rounds} rounds in {time.monotonic() - started:.0f} s")
    print(growth_table(first, last, peaks))
    failures = workload.failures()
    print()
    print("server errors (5xx other than injected faults):", failures or "none")
    print("refusals of calls that must succeed:", workload.refused_what_must_succeed() or "none")
    print(
        "answers by operation:",
        dict(sorted(Counter({f"{op} {s}": n for (op, s), n in workload.statuses.items()}).items())),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=300, help="how long the rounds after the warm-up run"
    )
    parser.add_argument("--database-url", default=None, help="localexa's database (default: SQLite)")
    parser.add_argument("--redis-url", default=None, help="Redis for rate limits and the token epoch")
    parser.add_argument("--customers", type=int, default=3, help="customers per round, concurrently")
    parser.add_argument("--reset-every", type=int, default=6, help="rounds between resets (0: never)")
    parser.add_argument("--warm-up-rounds", type=int, default=6, help="rounds before the first sample")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as root,
        soak_server(
            Path(root),
            database_url=args.database_url,
            redis_url=args.redis_url,
            mix=Mix(customers=args.customers, reset_every=args.reset_every),
        ) as soak,
    ):
        asyncio.run(_main_async(soak, args.seconds, args.warm_up_rounds))


async def _main_async(soak: Soak, seconds: float, warm_up_rounds: int) -> None:
    try:
        await _run(soak, seconds, warm_up_rounds)
    finally:
        await soak.workload.aclose()


if __name__ == "__main__":
    main()
