"""Where a served localexa process's resident memory is: once healthy, after a warm-up, after load.

    .venv/bin/python -m bench.memory
    .venv/bin/python -m bench.memory --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench \
        --redis-url redis://127.0.0.1:6379/14

Starts `localexa serve` as the bench does (bench/servers.py), seeds it, then reads
`/proc/<pid>/smaps_rollup` three times: once healthy, after a few seconds of enablement GETs (what
start-up left to first use: models, statement caches, connections) and after `--requests` of them.
It then lists the mappings that hold the most, split into anonymous memory (Python's heap and
objects, C and Rust allocations) and pages of files (libraries and extension modules, shared with
other processes but counted in the RSS all the same). The bench's own row is the last figure's
total (README "Resident memory").
"""

from __future__ import annotations

import argparse
import collections
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import servers
from bench.load import run_load


@dataclass(frozen=True)
class Resident:
    total_kb: int
    anonymous_kb: int

    def __str__(self) -> str:
        return (
            f"{self.total_kb / 1024:6.1f} MB (anonymous {self.anonymous_kb / 1024:.1f} MB,"
            f" file pages {(self.total_kb - self.anonymous_kb) / 1024:.1f} MB)"
        )


def resident(pid: int) -> Resident:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return Resident(fields["Rss"], fields["Anonymous"])


def largest_mappings(pid: int, count: int) -> list[tuple[str, Resident]]:
    """The mappings holding the most resident memory, summed per file ([heap], [anon] for the rest)."""
    total: collections.Counter[str] = collections.Counter()
    anonymous: collections.Counter[str] = collections.Counter()
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and "-" in parts[0] and not parts[0].endswith(":"):  # a mapping's header line
            name = parts[5] if len(parts) > 5 else "[anon]"
        elif parts and parts[0] == "Rss:":
            total[name] += int(parts[1])
        elif parts and parts[0] == "Anonymous:":
            anonymous[name] += int(parts[1])
    return [(name, Resident(kb, anonymous[name])) for name, kb in total.most_common(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=None, help="localexa's database (default: SQLite)")
    parser.add_argument("--redis-url", default=None, help="Redis for rate limits and the token epoch")
    parser.add_argument(
        "--requests", type=int, default=100_000, help="GETs before the last reading (at least: 20 s loads)"
    )
    parser.add_argument("--warm-up", type=float, default=3.0, help="seconds of GETs, second reading")
    parser.add_argument("--mappings", type=int, default=12, help="how many of the largest mappings to list")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        server = servers.localexa(Path(data_dir), database_url=args.database_url, redis_url=args.redis_url)
        server.start()
        try:
            assert server.process is not None
            pid = server.process.pid
            print(f"healthy after {server.started_in:.2f} s: {resident(pid)}")
            base = server.health_url.rsplit("/_localexa", 1)[0]
            world = servers.seed_localexa(base)
            url = f"{base}/v1/skills/{world.skill_id}/stages/development/enablement"
            headers = {"Authorization": f"Bearer {world.developer_token}"}
            done = run_load(url, seconds=args.warm_up, connections=16, headers=headers).requests
            print(f"after seeding and {done:,} GETs: {resident(pid)}")
            while done < args.requests:
                done += run_load(url, seconds=20, connections=16, headers=headers).requests
            print(f"after {done:,} GETs: {resident(pid)}")
            print()
            print("| mapping | resident | of which anonymous |")
            print("|---|---|---|")
            for name, held in largest_mappings(pid, args.mappings):
                name = name.rsplit("site-packages/", 1)[-1]  # the package, not the virtualenv's path
                print(f"| {name} | {held.total_kb / 1024:.1f} MB | {held.anonymous_kb / 1024:.1f} MB |")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
