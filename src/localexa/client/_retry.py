"""When to retry, and how long to wait: exponential backoff with full jitter, honouring Retry-After.

The seeds tell callers to "retry the request by using exponential back-off" on 429, 500 and 503
(skill-enablement and credential-locker reference pages); 502 and 504 are retried too, as AWS SDKs'
standard retry mode does (500, 502, 503, 504): a gateway or load balancer in front of the API
answers them when the service behind it failed or was slow, and a second attempt often gets
through. Full jitter (a uniform wait between 0 and the exponential cap, as in AWS's "Exponential
Backoff And Jitter") keeps many clients that failed together from retrying together. A
`Retry-After` header (RFC 9110 §10.2.3) replaces the computed wait. Retries are bounded twice: in
count (`max_retries`) and in total time (`max_elapsed`): a retry whose wait would end after
`max_elapsed` seconds from the first attempt is not made.

Only requests that are safe to repeat are retried by default: GET, HEAD, OPTIONS, PUT, DELETE, and
token grants that mint nothing new to the caller's harm (refresh, client credentials). A POST that
enables a skill or sends an event is not repeated after a 5xx or after its bytes may have left (a
read timeout, a reset) unless `retry_unsafe=True`: the server may have acted on it (after a 502 or
504 too: the gateway may have passed the request on before the service failed). Any request,
a POST too, is retried when the server cannot have acted on it: after a 429 (the throttle refuses
a call before running it, and Amazon's references say to back off and retry) and when no
connection was made (refused, connect timeout, no free pooled connection), so nothing was sent.

A retried DELETE may find its thing gone because the first attempt, whose answer was lost, deleted
it. For the DELETEs that name one thing on one host (disabling a skill stage, deleting a fault),
such a 404 ends the call as done (`Core.answer`); a 404 to a first attempt still raises.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["DEFAULT_RETRY", "RetryPolicy"]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How the client retries. Immutable; pass a new one to `with_options(retry=...)`."""

    #: Retries after the first attempt (so at most `max_retries + 1` requests).
    max_retries: int = 2
    #: The exponential cap of the first retry; doubles per retry.
    initial_delay: float = 0.5
    #: No computed wait exceeds this.
    max_delay: float = 8.0
    #: No retry whose wait would end later than this many seconds after the first attempt began.
    max_elapsed: float = 30.0
    statuses: frozenset[int] = _RETRY_STATUSES
    safe_methods: frozenset[str] = _SAFE_METHODS
    #: Also retry requests that are not safe to repeat (POST enablement, events).
    retry_unsafe: bool = False
    #: Retry when no response arrived (connection refused, timeout), for safe requests.
    retry_connection_errors: bool = True
    #: Source of jitter in [0, 1); replace it to make waits reproducible.
    rand: Callable[[], float] = field(default=random.random, repr=False, compare=False)
    #: Monotonic seconds, for the `max_elapsed` budget; replace it to simulate time.
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def is_safe(self, method: str, idempotent: bool | None) -> bool:
        """Whether a request may be repeated: its own flag wins, else its method decides."""
        if self.retry_unsafe:
            return True
        if idempotent is not None:
            return idempotent
        return method.upper() in self.safe_methods

    def backoff(self, retries_done: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, initial_delay * 2**retries_done))."""
        cap = min(self.max_delay, self.initial_delay * (2.0**retries_done))
        return self.rand() * cap

    def next_delay(
        self,
        *,
        retries_done: int,
        elapsed: float,
        safe: bool,
        status: int | None,
        retry_after: float | None = None,
        sent: bool = True,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to stop and raise.

        `status` is the response status, or None when no response arrived; then `sent` is False
        when the request cannot have left (no connection was made). A request that is not `safe`
        is still retried when the server cannot have acted on it: a 429, or nothing sent.
        """
        unprocessed = status == 429 or (status is None and not sent)
        if not (safe or unprocessed) or retries_done >= self.max_retries:
            return None
        if status is None:
            if not self.retry_connection_errors:
                return None
        elif status not in self.statuses:
            return None
        delay = retry_after if retry_after is not None else self.backoff(retries_done)
        if elapsed + delay > self.max_elapsed:
            return None
        return delay


DEFAULT_RETRY = RetryPolicy()
