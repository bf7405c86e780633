"""`localexa admin clock advance DURATION` (README "Command line"): seconds, or 90s, 5m, 1h, 2d,
1h30m. A unit given twice (`5m5m` advanced 10 minutes) or a number without its unit after
another part (`2d5` advanced 2 days and 5 s) was taken until 2026-12-06 (QA); each is a usage
error naming the value now."""

from __future__ import annotations

import pytest
import typer

from localexa.cli.options import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("90", 90, id="seconds-alone"),
        pytest.param("0.5", 0.5, id="fraction-alone"),
        pytest.param("90s", 90, id="s"),
        pytest.param("5m", 300, id="m"),
        pytest.param("1h", 3600, id="h"),
        pytest.param("2d", 172_800, id="d"),
        pytest.param("1h30m", 5400, id="h-m"),
        pytest.param("1d2h3m4s", 93_784, id="every-unit"),
        pytest.param("1.5h", 5400, id="fraction-with-unit"),
        pytest.param(" 1H 30M ", 5400, id="spaces-and-case"),
    ],
)
def test_the_documented_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("5m5m", "'m' comes twice or after a smaller unit", id="unit-twice"),
        pytest.param("1h1h", "'h' comes twice", id="hours-twice"),
        pytest.param("30m1h", "after a smaller unit", id="smaller-first"),
        pytest.param("2d5", "5 has no unit", id="trailing-number"),
        pytest.param("1h30", "30 has no unit", id="trailing-minutes"),
        pytest.param("", "no duration", id="empty"),
        pytest.param("soon", "no duration", id="word"),
        pytest.param("5x", "no duration", id="unknown-unit"),
        pytest.param("-5m", "no duration", id="negative"),
    ],
)
def test_a_malformed_duration_is_a_usage_error_naming_it(text: str, reason: str) -> None:
    with pytest.raises(typer.BadParameter) as refused:
        parse_duration(text)
    message = str(refused.value)
    assert message.startswith(f"{text!r} is no duration"), message
    assert reason in message
