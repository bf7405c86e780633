"""A table page's `cursor` holding values past the limits of its columns' types (a 32-bit integer
id, dates near year 1 and 9999 with offsets): the console's 400 page on SQLite and PostgreSQL,
never a 500 (found by tests/property/test_console_pages.py)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

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
    # Naive dates are UTC (as stored): bound naive, asyncpg read them as local time through
    # `astimezone()`, which fails at year 1 (and, on Python 3.12+, within a day of year 9999):
    # a 500 on PostgreSQL until 2026-12-06.
    ("customers", ["9999-12-31T00:00:00", "id"]),
    ("customers", ["0001-01-01T00:00:00", "id"]),
    ("customers", ["0001-01-01T12:00:00", "id"]),
]


@pytest.mark.parametrize(("slug", "values"), IN_RANGE)
async def test_a_cursor_at_a_column_limit_pages_on(
    client: httpx.AsyncClient, slug: str, values: list[object]
) -> None:
    await sign_in(client)
    answer = await client.get(f"/console/{slug}", params={"cursor": _cursor(values)})
    assert answer.status_code == 200, answer.text[:300]


@pytest.fixture
def local_time_twelve_hours_behind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server's local time zone is UTC-12 (POSIX spells it Etc/GMT+12)."""
    monkeypatch.setenv("TZ", "Etc/GMT+12")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_twelve_hours_behind")
async def test_a_naive_cursor_is_utc_whatever_the_servers_time_zone(client: httpx.AsyncClient) -> None:
    """Read as local time 12 hours behind UTC, 9999-12-31T23:59:59 is past year 9999 in UTC."""
    await sign_in(client)
    answer = await client.get("/console/customers", params={"cursor": _cursor(["9999-12-31T23:59:59", "id"])})
    assert answer.status_code == 200, answer.text[:300]
