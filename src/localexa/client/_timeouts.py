"""The `timeout=` of `Client`, `AsyncClient` and `with_options`, checked when it is given.

Seconds for each phase (connect, read, write, pool): a positive finite number, or an
`httpx.Timeout` whose phases are, or None for no timeout at all (in `with_options` too: until
2026-12-06 a twin's `timeout=None` silently kept the client's timeout). -1, 0, NaN, "5" or True
were accepted until the first call (and 0 failed every call, "5" with a TypeError).
"""

from __future__ import annotations

import math

import httpx

from localexa.client._errors import ConfigurationError

TimeoutArg = float | httpx.Timeout | None

#: 30 s for each phase but connecting, 10 s (`Client(timeout=…)` when not given).
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

#: httpx's own pool limits, but an idle connection is given up after 4 s, not 5: `localexa serve`
#: closes a connection idle for its `--idle-timeout` (5 s), and a request written on it at that
#: moment got no answer, which a POST cannot be sent again after (it may have been acted on).
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=4.0)


def _seconds(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            f"{name} must be a number of seconds, an httpx.Timeout or None (no timeout), "
            f"not {type(value).__name__} {value!r}."
        )
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(
            f"{name} must be a positive, finite number of seconds (or None for no timeout), not {value!r}."
        )


def timeout_of(value: object) -> httpx.Timeout:
    """`value` as an httpx.Timeout, or ConfigurationError saying what is wrong with it."""
    if isinstance(value, httpx.Timeout):
        for phase, seconds in value.as_dict().items():
            _seconds(f"timeout's {phase}", seconds)
        return value
    _seconds("timeout", value)
    return httpx.Timeout(value)  # type: ignore[arg-type]  # checked: a number or None
