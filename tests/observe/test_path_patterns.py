"""Fault path patterns (observe/path_patterns.py): the same answers as the regular expression they
replaced, in time linear in the path per token. As a regular expression, `/v1/*a*a*a*a*a*a*b`
took 3 s on a 64-character path, on the event loop, before routing: a listener and its health
check stalled (review of 2026-12-07)."""

from __future__ import annotations

import random
import re
import time

import pytest

from localexa.server.observe.path_patterns import compile_pattern


def _as_regex(pattern: str) -> re.Pattern[str]:
    """The translation used until 2026-12-07: the reference for what a pattern means."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "{" and "}" in pattern[index:]:
            parts.append("[^/]+")
            index = pattern.index("}", index) + 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE)


def test_every_small_pattern_means_what_the_regular_expression_meant() -> None:
    rng = random.Random(20261207)
    pieces = ["a", "b", "A", "/", "*", "**", "{p}", "ab", "/v1"]
    for _ in range(20_000):
        pattern = "/" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        path = "/" + "".join(rng.choice("aAb/") for _ in range(rng.randint(0, 8)))
        expected = _as_regex(pattern).match(path) is not None
        assert compile_pattern(pattern).matches(path) is expected, (pattern, path)


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        pytest.param("/v1/*a*a*a*a*a*a*b", "/v1/" + "a" * 4000, id="stars-in-a-segment"),
        pytest.param("/{a}{b}{c}{d}{e}/x", "/" + "a" * 4000, id="adjacent-params"),
        pytest.param("/**x**x**x**y", "/" + "x" * 4000, id="double-stars-and-text"),
        pytest.param("/" + "**/" * 10 + "zz", "/a" * 2000, id="repeated-double-stars"),
        pytest.param("/**/**/x", "/a" * 4000, id="double-stars-long-path"),
    ],
)
def test_a_hostile_pattern_answers_a_long_path_at_once(pattern: str, path: str) -> None:
    # Not a speed test: as a regular expression each of these ran for hours (exponential or high
    # polynomial); linear per token, each is milliseconds. 2 s leaves a loaded machine its stalls.
    began = time.monotonic()
    assert compile_pattern(pattern).matches(path) is False
    assert time.monotonic() - began < 2.0
