"""Log a failure that repeats on every call (Redis down) once per period, not once per call.

With Redis unreachable every authenticated call fails to read the token epoch and to count its
rate limit, and goes through anyway (README "Redis"); a warning per call and per part flooded the
log under load. A `LogThrottle` logs the first failure, counts the next ones silently for
`interval` seconds, then logs one line with how many it left out; when the part works again it
logs once that it is back. One throttle per part, so each part says what it lost.

Time is `time.monotonic`, never localexa's movable clock (core/clock.py): a test moving that clock
must not release or hold back log lines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

#: How long further failures stay quiet after a logged one.
INTERVAL_SECONDS = 30.0


class LogThrottle:
    """Warnings about one failing part, at most one every `interval` seconds.

    `failed` on every failure, `succeeded` on every success: the latter costs one attribute test
    while nothing failed, so it can sit on a hot path.
    """

    def __init__(
        self,
        logger: logging.Logger,
        part: str,
        *,
        interval: float = INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._part = part
        self._interval = interval
        self._clock = clock
        self._failing = False
        self._logged_at = 0.0
        self._suppressed = 0
        self._failures = 0
        self._not_logged = 0  # of `_failures`: `_suppressed` restarts at each logged line

    @property
    def failing(self) -> bool:
        return self._failing

    def failed(self, message: str, *args: object, exc_info: bool = False) -> None:
        """One failure: logged (`message % args`, a warning; with `exc_info` the exception being
        handled too) unless one was logged recently."""
        now = self._clock()
        self._failures += 1
        if self._failing and now - self._logged_at < self._interval:
            self._suppressed += 1
            self._not_logged += 1
            return
        if self._suppressed:
            self._logger.warning(
                message + " (%d more like it in the last %d s were not logged)",
                *args,
                self._suppressed,
                round(now - self._logged_at),
                exc_info=exc_info,
            )
        else:
            self._logger.warning(message, *args, exc_info=exc_info)
        self._failing = True
        self._logged_at = now
        self._suppressed = 0

    def succeeded(self) -> None:
        """The part works: after failures, say once that it is back (a warning, so that whoever
        sees the failures at `--log-level warning` also sees them end)."""
        if not self._failing:
            return
        self._logger.warning(
            "%s works again after %d failed calls (%d of them not logged)",
            self._part,
            self._failures,
            self._not_logged,
        )
        self._failing = False
        self._suppressed = 0
        self._failures = 0
        self._not_logged = 0
