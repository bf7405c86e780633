"""Property-based tests (hypothesis) of the parsers that take untrusted bytes or text.

Every test runs a fixed, derandomized budget so CI is repeatable and quick (the folder takes
about 25 s on two cores). `LOCALEXA_PROPERTY_SCALE=20` multiplies every budget for a longer hand
run; `LOCALEXA_PROPERTY_RANDOM=1` draws fresh examples instead of the fixed ones.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = int(os.environ.get("LOCALEXA_PROPERTY_SCALE", "1"))
RANDOM = os.environ.get("LOCALEXA_PROPERTY_RANDOM") == "1"


def budget(examples: int, *, suppress: tuple[HealthCheck, ...] = ()) -> settings:
    """`examples` per test (times the scale), no deadline, the same examples on every run."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        derandomize=not RANDOM,
        suppress_health_check=[*suppress, HealthCheck.too_slow] if SCALE > 1 else list(suppress),
    )
