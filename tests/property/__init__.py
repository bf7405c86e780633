"""Property-based tests (hypothesis) of the parsers that take untrusted bytes or text.

Every test runs a fixed, derandomized budget so CI is repeatable and quick (the folder takes
about 25 s on two cores). `LOCALEXA_PROPERTY_SCALE=20` multiplies every budget for a longer hand
run; `LOCALEXA_PROPERTY_RANDOM=1` draws fresh examples instead of the fixed ones.
"""

from __future__ import annotations

import os
import string

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.tampering import tampered

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


def json_scalars(*, largest: int = 2**70, text_size: int = 12) -> st.SearchStrategy[object]:
    """JSON's scalars, integers past 64 bits included (finite floats only: `NaN` is no JSON)."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-largest, max_value=largest),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=text_size),
    )


def json_values(
    scalars: st.SearchStrategy[object], *, width: int = 3, key_size: int = 6, leaves: int = 8
) -> st.SearchStrategy[object]:
    """Any JSON value built of `scalars`: lists and objects nested to any depth."""
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=width)
            | st.dictionaries(st.text(max_size=key_size), inner, max_size=width)
        ),
        max_leaves=leaves,
    )


def cookie_headers(name: str, real: list[str]) -> st.SearchStrategy[bytes | None]:
    """A Cookie header for cookie `name`: none, one of the `real` values, a tampered, cut or
    garbage one, odd latin-1 characters, or the cookie twice."""
    genuine = st.sampled_from(real)
    value = (
        genuine
        | genuine.map(tampered)
        | genuine.map(lambda c: c + "x")
        | genuine.map(lambda c: c.rsplit(".", 1)[0])
        | st.text(string.ascii_letters + string.digits + "-_.=", max_size=80)
        | st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)
    )
    header = value.map(lambda v: f"{name}={v}".encode("latin-1"))
    doubled = st.tuples(genuine, value).map(lambda p: f"{name}={p[0]}; {name}={p[1]}".encode("latin-1"))
    return st.none() | header | doubled
