"""Fault rules: which calls they match, whether they fire, and the store they live in.

Path patterns (`path`): an exact path, or one with wildcards. `{name}` and `*` match one path
segment (`*` may also sit inside a segment: `/v1/skills/amzn1.ask.skill.*/credentials`), and
`**` matches any rest of the path, slashes included (`/v1/**`). Matching ignores case, like
LWA's `/auth/O2/token` alias.

Firing: a call that matches counts as the fault's n-th match. With `probability` 1 it fires;
otherwise it fires when a uniform draw is below `probability`. With a `seed` the n-th draw is
`Random(f"{seed}:{n}")`, so the same calls against a fresh fault give the same sequence, in any
process. A fault with `count` retires after firing that many times (the decrement is one atomic
UPDATE, so several processes never fire it more often). Delay-only faults (`delayMs`, no
`status`) slow matching calls, then let them through.

Each process caches the active rules and reloads them at most every `refresh_interval`
seconds (and at once after it changed them), so a fault created in one process reaches the
others within that interval and the hot path costs no query when no faults exist. A fault
deleted or retired through another process ends at once all the same: a cached rule acts only
through the row's atomic UPDATEs (`count_match`, `take_firing`), which find no live row, so the
call neither fires nor counts and the cache is dropped.
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from localexa.server.core.errors import BadRequest
from localexa.server.db.engine import read_only_connection, reading, reads_only
from localexa.server.observe import repository
from localexa.server.observe.path_patterns import PathPattern, compile_pattern


@dataclass(frozen=True)
class FaultRule:
    id: str
    method: str | None
    path: str
    pattern: PathPattern
    status: int | None
    delay_ms: int
    probability: float
    count: int | None
    retry_after: int | None
    customer: str | None
    skill: str | None
    region: str | None
    seed: int | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FaultRule:
        return cls(
            id=row["id"],
            method=row["method"],
            path=row["path"],
            pattern=compile_pattern(row["path"]),
            status=row["status"],
            delay_ms=row["delay_ms"] or 0,
            probability=row["probability"],
            count=row["count"],
            retry_after=row["retry_after"],
            customer=row["customer"],
            skill=row["skill"],
            region=row["region"],
            seed=row["seed"],
        )

    def matches_request(self, method: str, path: str, region: str | None) -> bool:
        """The checks that need no lookup; customer and skill are checked by the caller. A GET
        fault matches HEAD too: a HEAD is the GET without its body (RFC 9110 §9.3.2), so a client
        probing with HEAD meets the failure its GET would; a HEAD fault matches HEAD only."""
        asked = method.upper()
        if self.method is not None and self.method != asked and (self.method, asked) != ("GET", "HEAD"):
            return False
        if self.region is not None and self.region != region:
            return False
        return self.pattern.matches(path)

    def draws(self, n: int) -> bool:
        """Whether the n-th matching call fires."""
        if self.probability >= 1.0:
            return True
        if self.probability <= 0.0:
            return False
        rng = random.Random(f"{self.seed}:{n}") if self.seed is not None else random
        return rng.random() < self.probability


#: Statuses whose answer carries a fault's `retryAfter` as `Retry-After`, besides 429 (RFC 6585
#: §4, which always does: 1 s by default): 413 (RFC 9110 §15.5.14, a temporary condition), 503
#: (§10.2.3, §15.6.4) and the rest of 5xx, the failures a client retries (RFC 9110 gives it no
#: meaning there, but clients that honor it on any retried answer exist, and a fault is how one
#: tests them). Any other 4xx, and a delay-only fault, send none: a 4xx tells the client its
#: request is wrong, and a fault's status is never a 3xx (400-599).
def sends_retry_after(status: int | None) -> bool:
    return status is not None and (status in (413, 429) or status >= 500)


def retry_after_sent(status: int | None, retry_after: int | None) -> int | None:
    """The `Retry-After` a fault's answers carry (None: none), as the listing shows it.

    Before 2026-12-06 only a 429 carried it: `retryAfter` on a 503 was taken, stored and listed,
    and never sent."""
    if status == 429:
        return retry_after or 1
    return retry_after if sends_retry_after(status) else None


def new_fault_id() -> str:
    return "fault-" + uuid.uuid4().hex[:16]


@contextlib.asynccontextmanager
async def _writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that writes the faults table, also while a GET or HEAD is handled.

    A GET's transactions are read-only (db/session.py `ReadsOnlyMiddleware`): on SQLite they begin
    without the write lock, and without waiting for this process's other writers (db/engine.py).
    A fault counting a GET then upgraded to the write lock in SQLite's busy handler, on the event
    loop's thread: while another transaction of the process held the lock (the journal writer's,
    a POST's), the whole process stood still for the 30 s busy timeout, and the fault was then
    skipped (the call went through unfaulted)."""
    token = reads_only.set(False)
    try:
        async with engine.begin() as conn:
            yield conn
    finally:
        reads_only.reset(token)


class FaultStore:
    """The faults table plus a short-lived per-process cache of the active rules."""

    def __init__(self, engine: AsyncEngine, *, refresh_interval: float = 0.5) -> None:
        self._engine = engine
        self._refresh_interval = refresh_interval
        self._rules: list[FaultRule] = []
        self._loaded_at: float | None = None
        #: Bumped by every invalidation: a load begun before one must not be kept as fresh.
        self._generation = 0

    def invalidate(self) -> None:
        self._loaded_at = None
        self._generation += 1

    async def active(self) -> list[FaultRule]:
        now = time.monotonic()
        if self._loaded_at is None or now - self._loaded_at >= self._refresh_interval:
            generation = self._generation
            # Only reads: on SQLite it must not queue behind writers, even inside a POST.
            async with read_only_connection(self._engine) as conn:
                rows = await repository.faults(conn)
            rules = [FaultRule.from_row(r) for r in rows if r["remaining"] is None or r["remaining"] > 0]
            if generation != self._generation:
                # A create or delete through this process committed while this load ran: what it
                # read may predate it, so use it for this call only and load again on the next.
                return rules
            self._rules = rules
            self._loaded_at = now
        return self._rules

    async def create(self, values: dict[str, Any], *, now: datetime) -> str:
        """Store a new fault; BadRequest (nothing stored) for a `customer` no customer has, or
        (since 2026-12-06 too) a `skill` no skill has.

        A fault's customer is the user of the call's token, a customer's id. Ids are made by
        localexa (`amzn1.account.` + 28 characters, core/ids.py), but a restored snapshot may hold
        any id, so the form alone cannot tell: the customers table can. A fault for an id it
        lacks could never match (a customer is never made with a chosen id, and a restore that
        brings one replaces the faults), and `"customer": "bob"` was taken and never fired
        (QA of 2026-12-06). The same holds for a skill's id (the skill in the call's path, or the
        one whose messaging client made its token), checked against the skills table: `"skill":
        "nope"` was taken as well. Checked in the transaction that stores the fault."""
        fault_id = new_fault_id()
        count = values.get("count")
        async with self._engine.begin() as conn:
            customer = values.get("customer")
            if customer is not None and not await repository.customer_exists(conn, customer):
                # The id is not repeated: a token pasted here must not come back in the answer.
                raise BadRequest(
                    "customer: no customer has this id, so the fault could never match; a customer "
                    "id is the `userId` POST /_localexa/customers answered (amzn1.account.…)."
                )
            skill = values.get("skill")
            if skill is not None and not await repository.skill_exists(conn, skill):
                raise BadRequest(
                    "skill: no skill has this id, so the fault could never match; a skill id is "
                    "the `skillId` POST /_localexa/skills answered (amzn1.ask.skill.…)."
                )
            await repository.add_fault(
                conn,
                {
                    **values,
                    "id": fault_id,
                    "remaining": count,
                    "matched": 0,
                    "fired": 0,
                    "created_at": now,
                },
            )
        self.invalidate()
        return fault_id

    async def listing(self) -> list[dict[str, Any]]:
        async with self._engine.connect() as conn:
            await reading(conn)
            return await repository.faults(conn)

    async def delete(self, fault_id: str) -> bool:
        async with self._engine.begin() as conn:
            deleted = await repository.delete_fault(conn, fault_id)
        self.invalidate()
        return deleted

    async def fire(self, rule: FaultRule) -> bool:
        """Count a matching call and decide, atomically, whether the fault acts on it."""
        async with _writing(self._engine) as conn:
            n = await repository.count_match(conn, rule.id)
            if n is None:
                fired = None
            elif not rule.draws(n):
                return False
            else:
                fired = await repository.take_firing(conn, rule.id, counted=rule.count is not None)
        if fired is None or fired == 0:
            self.invalidate()  # gone or just retired
        return fired is not None

    async def count_match(self, rule: FaultRule) -> None:
        """Count a matching call the fault does not act on (an older fault answers it)."""
        async with _writing(self._engine) as conn:
            n = await repository.count_match(conn, rule.id)
        if n is None:
            self.invalidate()  # gone or retired

    async def skill_of_client(self, client_id: str) -> str | None:
        async with self._engine.connect() as conn:
            await reading(conn)
            return await repository.skill_of_client(conn, client_id)
