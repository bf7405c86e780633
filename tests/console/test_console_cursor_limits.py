"""A table page's `cursor` holding values past the limits of its columns' types (a 32-bit integer
id, dates near year 1 and 9999 with offsets): the console's 400 page on SQLite and PostgreSQL,
never a 500 (found by tests/property/test_console_pages.py)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.console.test_console import sign_in

LIMITS = [
    ("thread-networks", ["2026-01-01T00:00:00+00:00", 2**31]),
    ("thread-networks", ["2026-01-01T00:00:00+00:00", -(2**31) - 1]),
    ("thread-networks", ["2026-01-01T00:00:00+00:00", 2**63 - 1]),
    ("customers", ["0001-01-01T00:00:00+14:00", "id"]),
    ("customers", ["9999-12-31T23:59:59-14:00", "id"]),
]


def _cursor(values: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("slug", "values"), LIMITS)
async def test_a_cursor_past_a_column_limit_is_a_400_page(
    client: httpx.AsyncClient, slug: str, values: list[object]
) -> None:
    await sign_in(client)
    answer = await client.get(f"/console/{slug}", params={"cursor": _cursor(values)})
    assert answer.status_code == 400, answer.text[:300]
    assert "Start again from the newest rows." in answer.text


IN_RANGE = [
    ("thread-networks", ["2026-01-01T00:00:00+00:00", 2**31 - 1]),
    ("thread-networks", ["2026-01-01T00:00:00", -(2**31)]),
    ("customers", ["0001-01-01T00:00:00+00:00", "id"]),
    ("customers", ["9999-12-31T23:59:59+00:00", "id"]),
    ("customers", ["9999-12-31T23:59:59", "id"]),
]


@pytest.mark.parametrize(("slug", "values"), IN_RANGE)
async def test_a_cursor_at_a_column_limit_pages_on(
    client: httpx.AsyncClient, slug: str, values: list[object]
) -> None:
    await sign_in(client)
    answer = await client.get(f"/console/{slug}", params={"cursor": _cursor(values)})
    assert answer.status_code == 200, answer.text[:300]
