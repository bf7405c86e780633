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

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from localexa.client._errors import ConfigurationError

__all__ = ["DEFAULT_RETRY", "RetryPolicy", "check_max_retries", "check_retry"]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _shown(value: object) -> str:
    """`str '2'`, `float 1.5`, or the bare value for an int (`-1`): what was given, for messages."""
    return repr(value) if type(value) is int else f"{type(value).__name__} {value!r}"


def check_max_retries(value: object, name: str = "max_retries") -> int:
    """`value` if it is a count of retries, else ConfigurationError where it is given: until
    2026-12-07 `max_retries="2"` (from an environment variable) was taken and raised TypeError
    at the first 503, in place of the API error; -1 and 1.5 were taken silently (review36b #3)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            f"{name} must be a whole number >= 0 (retries after the first attempt; 0: none), "
            f"not {_shown(value)}."
        )
    return value


def check_retry(value: object) -> RetryPolicy | None:
    """`retry=` if it is a RetryPolicy or None: `retry=5` raised AttributeError on every call."""
    if value is not None and not isinstance(value, RetryPolicy):
        raise ConfigurationError(
            "retry must be a localexa.client.RetryPolicy or None (the default policy), not "
            f"{_shown(value)}; for a number of retries pass max_retries=."
        )
    return value


def _seconds(name: str, value: object) -> None:
    # As `timeout=` is checked (_timeouts.py); 0 is allowed: no wait, or no time for any retry.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigurationError(
            f"RetryPolicy({name}=) must be a finite number of seconds >= 0, not {_shown(value)}."
        )


def _set_of(name: str, value: object, kind: type, what: str) -> frozenset[object]:
    # A str is iterable but no set of methods: "GET" would be the methods G, E and T.
    if not isinstance(value, set | frozenset) or not all(
        isinstance(item, kind) and not isinstance(item, bool) for item in value
    ):
        raise ConfigurationError(f"RetryPolicy({name}=) must be a set of {what}, not {_shown(value)}.")
    return frozenset(value)


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

    def __post_init__(self) -> None:
        """Every field checked here, where the policy is made: a wrong one otherwise surfaced only
        at the first retryable error, as a TypeError from inside the client (review36b #3)."""
        check_max_retries(self.max_retries, "RetryPolicy(max_retries=)")
        for name in ("initial_delay", "max_delay", "max_elapsed"):
            _seconds(name, getattr(self, name))
        # Frozen: set through object.__setattr__; a set becomes the frozenset the type says.
        statuses = _set_of("statuses", self.statuses, int, "HTTP statuses (ints, as {503})")
        object.__setattr__(self, "statuses", statuses)
        methods = _set_of("safe_methods", self.safe_methods, str, 'HTTP methods (strs, as {"GET"})')
        object.__setattr__(self, "safe_methods", methods)
        for name in ("retry_unsafe", "retry_connection_errors"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(
                    f"RetryPolicy({name}=) must be True or False, not {_shown(getattr(self, name))}."
                )
        for name in ("rand", "clock"):
            if not callable(getattr(self, name)):
                raise ConfigurationError(
                    f"RetryPolicy({name}=) must be callable (a function returning a float), "
                    f"not {_shown(getattr(self, name))}."
                )

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
