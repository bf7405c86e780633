"""Redis commands that cannot hold a request up for long: every Redis use of a process.

Redis is shared state localexa can go on without: the token epoch (lwa/token_cache.py: without it
a call asks the database), the rate limits (core/rate_limit.py: without them a call goes through)
and the directives in flight (directives/in_flight_redis.py: without them an early answer is
judged at the recording). Redis *down* (connection refused) fails a command at once. Redis *hung*
(it accepts connections and never answers: paused, swapping, a dead peer behind a load balancer)
held every authenticated call 10 s (the token epoch's and the rate limiter's commands, 5 s each;
measured 2026-12-07 against a listener that never answers, 30 calls at once as well), and each
directive 1-5 s before its own registry was bounded (review of 2026-12-07).

A `RedisGuard` runs one use's commands:
- each cut at `COMMAND_SECONDS`, the wait for a pooled connection included. Not less: the time is
  the event loop's, so it also counts the time a busy process takes to read an answer that has
  arrived (under the soak's mix a healthy local Redis took 11 ms in the median, 245 ms at p99 and
  366 ms at most; a cut at 0.25 s took it for down every round: CI at 3f2623a);
- after a failure that took time (a cut, or any error after `SLOW_FAILURE_SECONDS`: a connect
  timeout), Redis is left alone for `REST_SECONDS` by every use of the process: the app's one
  `RedisHealth` (`app.state.redis_health`) holds the rest for the three guards, so a hung Redis
  costs a call one wait per spell, not one per use (a guard of its own each held a call up 4 s,
  the token epoch's cut then the rate limit's, and their rests drifted apart: review of
  2026-12-07). A fast failure (connection refused) costs nothing, so the next call asks again and
  finds Redis as soon as it is back; a command that must run while Redis rests (a revocation) and
  is answered ends the rest for every use;
- failures are logged through the use's `LogThrottle` (once per 30 s, and once when Redis works
  again), with the error's name or `NO_ANSWER`; a call that left Redis alone while it rested
  counts as one more failure of the last one's kind, so "works again after N failed calls" counts
  every call that went without Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from localexa.server.core.log_throttle import LogThrottle

T = TypeVar("T")

#: The longest a command (with its wait for a pooled connection) may hold a call up.
COMMAND_SECONDS = 2.0
#: A failure that took longer than this is a slow one, after which Redis rests.
SLOW_FAILURE_SECONDS = 0.25
#: How long Redis is left alone after a slow failure.
REST_SECONDS = 5.0
#: What the log says of a command cut off (there is no exception of its own).
NO_ANSWER = f"no answer within {COMMAND_SECONDS:g} s"


class RedisUnavailable(Exception):
    """A guarded command did not run to its end: cut, failed, or Redis resting."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RedisHealth:
    """Whether the process leaves Redis alone now, after a slow failure of any use (one per app;
    `clock` is `time.monotonic`, never localexa's movable clock)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        #: Until when (`clock`) Redis is left alone.
        self._rest_until = 0.0
        #: Why it is, for the calls that go without it meanwhile.
        self.reason = NO_ANSWER

    @property
    def resting(self) -> bool:
        return self.clock() < self._rest_until

    def rest(self, reason: str) -> None:
        self._rest_until = self.clock() + REST_SECONDS
        self.reason = reason

    def answered(self) -> None:
        """Redis answered a command: a rest ends at once (a revocation asks while it rests)."""
        self._rest_until = 0.0


class RedisGuard:
    """The commands of one Redis use (module docstring); `health` is the app's, shared by its
    uses (a guard of its own when none is given)."""

    def __init__(self, outage: LogThrottle, health: RedisHealth | None = None) -> None:
        self._outage = outage
        self._health = health or RedisHealth()

    @property
    def resting(self) -> bool:
        return self._health.resting

    async def run(
        self, message: str, call: Callable[[], Awaitable[T]], *, shield: bool = False, rested: bool = True
    ) -> T:
        """`call()`'s result (and a line that Redis works again, after failures), or
        `RedisUnavailable` when Redis rests (`rested`: a caller that
        must try even then, a revocation, passes False), the command failed or was cut; a failure
        is logged as `message % reason`. `shield`: a cancellation of the caller waits for the
        command (at most `COMMAND_SECONDS`), which must run all the same."""
        health = self._health
        if rested and health.resting:
            self._outage.failed(message, health.reason)  # counted; logged once per 30 s
            raise RedisUnavailable("resting after a failure")
        began = health.clock()
        try:
            if shield:
                with anyio.CancelScope(shield=True), anyio.move_on_after(COMMAND_SECONDS) as scope:
                    result = await call()
                if scope.cancelled_caught:
                    raise _Cut
            else:
                result = await _within_the_cut(call)
        except _Cut:
            health.rest(NO_ANSWER)
            self._outage.failed(message, NO_ANSWER)
            raise RedisUnavailable(NO_ANSWER) from None
        except Exception as exc:
            reason = type(exc).__name__
            if health.clock() - began > SLOW_FAILURE_SECONDS:
                health.rest(reason)
            self._outage.failed(message, reason)
            raise RedisUnavailable(reason) from exc
        health.answered()
        self._outage.succeeded()
        return result


class _Cut(Exception):
    """A command ran out of `COMMAND_SECONDS`."""


async def _within_the_cut(call: Callable[[], Awaitable[T]]) -> T:
    # asyncio's own timeout: half the cost of anyio's scopes on a path every authenticated call
    # takes with Redis (~5 us, measured 2026-12-07); the shielded path above needs anyio's.
    timeout = asyncio.timeout(COMMAND_SECONDS)
    try:
        async with timeout:
            return await call()
    except TimeoutError:
        if timeout.expired():
            raise _Cut from None
        raise  # the command's own (a socket timeout)
