"""JSON bodies nest at most `MAX_DEPTH` levels on every Python. The parser's own limit was what
was left of the recursion limit: ~990 levels on 3.11, ~1,500 on 3.12 and ~10,000 on 3.13, where
a body 5,000 deep was read, then failed what handles it next (QA of 2026-12-06)."""

from __future__ import annotations

import httpx
import pytest

from localexa.server.core import strict_json
from localexa.server.core.strict_json import MAX_DEPTH, TOO_DEEP_MESSAGE
from localexa.server.directives.invoker import too_deep

JSON = {"Content-Type": "application/json"}


def _nested(levels: int, opener: str = "[") -> str:
    if opener == "[":
        return "[" * levels + "]" * levels
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


@pytest.mark.parametrize("opener", ["[", "{"])
def test_max_depth_is_read_and_one_more_is_too_deep(opener: str) -> None:
    assert strict_json.loads(_nested(MAX_DEPTH, opener)) is not None
    assert strict_json.loads(_nested(MAX_DEPTH, opener).encode()) is not None
    with pytest.raises(strict_json.TooDeep):
        strict_json.loads(_nested(MAX_DEPTH + 1, opener))
    with pytest.raises(strict_json.TooDeep):
        strict_json.loads(_nested(MAX_DEPTH + 1, opener).encode("utf-16"))


def test_many_brackets_shallow_are_read() -> None:
    """The walk runs when the text opens more than MAX_DEPTH arrays and objects; wide is fine."""
    wide = "[" + ",".join(["[]"] * 5000) + "]"
    assert len(strict_json.loads(wide)) == 5000
    assert strict_json.loads('["' + "[" * 5000 + '"]') == ["[" * 5000]


def test_the_message_says_the_limit() -> None:
    assert f"{MAX_DEPTH} levels at most" in TOO_DEEP_MESSAGE


def test_the_depth_walk_measures_past_any_recursion_limit() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert too_deep(deep)
    assert strict_json.nests_deeper_than(deep, 99_999)
    assert not strict_json.nests_deeper_than(deep, 100_001)


async def test_a_token_request_one_level_too_deep_says_so(client: httpx.AsyncClient) -> None:
    body = '{"grant_type": "refresh_token", "x": ' + _nested(MAX_DEPTH) + "}"
    answer = await client.post("/auth/o2/token", content=body, headers=JSON)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_description"] == TOO_DEEP_MESSAGE
