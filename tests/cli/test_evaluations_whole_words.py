"""`evaluations results` keeps the words of "Actual vs expected" whole in a real terminal (a pty)
of 50 and 80 columns: Rich folded an endpoint id or a mode's value at the column's edge
(`'amzn1.ask.device.AEXAM` then `PLE0123…'`), and the records of a narrow terminal ran past its
edge, where the terminal cut them anywhere (QA of 2026-12-06). A word now wraps only at spaces;
the table gives the column its longest word, or the rows print as records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.canned_api import serve_canned
from tests.cli.test_urls_unbroken import on_terminal

SKILL = "amzn1.ask.skill.words"
LONG_ID = "'amzn1.ask.device.AEXAMPLE0123456789ABCDEF0123456789'"
POWER = "Alexa.PowerController powerState: expected EQUAL_TO 'ON' (±0%), got 'OFF'"
ENDPOINT = f"event.endpoint.endpointId: expected 'porch', got {LONG_ID}"
MODE = "Washer.Mode.DelicateCycleWithExtraRinse"


def _case(name: str, namespace: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "status": "FAILED",
        "directive": {"header": {"namespace": namespace, "name": name}},
        **fields,
    }


LONG_WORDS = [
    _case("TurnOn", "Alexa.PowerController", reasons=[POWER, ENDPOINT]),
    _case(
        "SetMode",
        "Alexa.ModeController",
        expectedCapabilityStates=[{"namespace": "Alexa.ModeController", "name": "mode", "value": MODE}],
        actualCapabilityStates=[
            {"namespace": "Alexa.ModeController", "name": "mode", "value": "Washer.Mode.Normal"}
        ],
    ),
]
SHORT_WORDS = [_case("TurnOn", "Alexa.PowerController", reasons=[POWER])]
#: A real plan's directive, 43 characters: beside its 20-character header it made a 63-character
#: line, which a 50-column terminal cut (`Alexa.BrightnessController.Adju` / `stBrightness`, revn
#: QA), as it cut a long test case name; only "Actual vs expected" was kept whole.
DIRECTIVE = "Alexa.BrightnessController.AdjustBrightness"
LONG_NAME = "AdjustBrightnessOfThePorchLightByMinusTwentyFivePercentAtDusk"
LONG_NAMES = [
    _case("AdjustBrightness", "Alexa.BrightnessController", reasons=[POWER]),
    {**_case("AdjustBrightness", "Alexa.BrightnessController"), "name": LONG_NAME},
]


def _answer(method: str, path: str) -> tuple[int, Any]:
    """The results of run `long` (long words) or of any other run (short words)."""
    cases = LONG_WORDS if "/long/" in path else SHORT_WORDS
    return 200, {"testCaseResults": LONG_NAMES if "/names/" in path else cases}


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serve_canned(_answer) as url:
        yield url


def _results(api: str, run: str, columns: int) -> list[str]:
    return on_terminal("--url", api, "--token", "t", "evaluations", "results", SKILL, run, columns=columns)


def _words(*texts: str) -> list[str]:
    return [word for text in texts for word in text.split()]


@pytest.mark.parametrize("columns", [50, 80])
def test_long_words_are_never_cut(api: str, columns: int) -> None:
    lines = _results(api, "long", columns)
    for word in _words(POWER, ENDPOINT, f"expected {MODE}, actual Washer.Mode.Normal"):
        assert any(word in line for line in lines), (word, lines)
    # Broken at spaces to the terminal's width: only a word longer than a line runs past it.
    assert all(len(line) <= columns or LONG_ID in line for line in lines), lines
    # Each line of a value starts under the value (beside its header) or indented below it: the
    # second line of "Actual vs expected" started at the left edge, among the headers.
    headers = ("Test cases", "Test case ", "Status ", "Directive ", "Actual vs expected")
    assert all(line.startswith((*headers, " ")) for line in lines if line), lines


def test_at_80_columns_a_value_wraps_beside_its_header(api: str) -> None:
    lines = _results(api, "long", 80)
    start = lines.index(next(line for line in lines if line.startswith("Actual vs expected  Alexa.")))
    assert lines[start + 1].startswith(" " * 20)  # under the value's first character
    assert LONG_ID in lines[start + 3]


def test_a_table_whose_words_fit_stays_a_table(api: str) -> None:
    lines = _results(api, "short", 80)
    assert any("│" in line for line in lines), lines  # the words fit: no records
    for word in _words(POWER):
        assert any(word in line for line in lines), (word, lines)
    assert all(len(line) <= 80 for line in lines), lines


@pytest.mark.parametrize("columns", [50, 80])
def test_every_value_of_a_record_keeps_its_words_whole(api: str, columns: int) -> None:
    lines = _results(api, "names", columns)
    assert any(DIRECTIVE in line for line in lines), lines
    assert any(LONG_NAME in line for line in lines), lines
    # Only a word longer than any line (the 61-character name at 50 columns) runs past the edge.
    assert all(len(line) <= columns or LONG_NAME in line for line in lines), lines
    headers = ("Test case", "Status", "Directive", "Actual vs expected")
    assert all(line.startswith((*headers, " ")) for line in lines if line), lines
    # A value whose word does not fit beside its header is on its own line below it, indented by
    # two as the long values of "Actual vs expected" are.
    assert f"  {LONG_NAME}" in lines
    assert lines[lines.index(f"  {LONG_NAME}") - 1] == "Test case"
    if columns == 50:
        assert lines[lines.index(f"  {DIRECTIVE}") - 1] == "Directive"
    else:
        assert f"Directive           {DIRECTIVE}" in lines
