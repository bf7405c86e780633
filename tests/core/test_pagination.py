"""The shared pagination core: page tokens (opaque, signed, bound, expiring) and keyset pages."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from localexa.server.core.errors import BadRequest
from localexa.server.core.pagination import (
    InvalidPageToken,
    PageBinding,
    PageRequest,
    PageSize,
    PageTokenCodec,
    fetch_keyset_page,
    next_page_token,
    read_page_request,
)
from localexa.server.db.engine import create_engine

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
BINDING = PageBinding("things", caller="client-1\nuser-1", query={"kind": "a", "name": None})


@pytest.fixture
def codec() -> PageTokenCodec:
    return PageTokenCodec(b"server-secret")


def test_round_trip_of_every_key_type(codec: PageTokenCodec) -> None:
    key = (datetime(2025, 5, 6, 7, 8, 9, 123456, tzinfo=UTC), 42, "zeta")
    token = codec.issue(BINDING, key, now=NOW)
    assert codec.open(token, BINDING, now=NOW) == key


def test_tokens_are_opaque_and_url_safe(codec: PageTokenCodec) -> None:
    token = codec.issue(BINDING, (123456789, "secret-sort-value"), now=NOW)
    assert all(c.isalnum() or c in "-_" for c in token)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"123456789" not in raw
    assert b"secret-sort-value" not in raw
    assert codec.issue(BINDING, (1,), now=NOW) != codec.issue(BINDING, (1,), now=NOW)  # fresh nonce


def test_absent_and_none_filters_are_the_same_query(codec: PageTokenCodec) -> None:
    token = codec.issue(BINDING, (1,), now=NOW)
    same = PageBinding("things", caller="client-1\nuser-1", query={"kind": "a"})
    assert codec.open(token, same, now=NOW) == (1,)


def _flip(token: str, index: int) -> str:
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return "".join(chars)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        pytest.param(
            lambda c: _flip(c.issue(BINDING, (1,), now=NOW), 20), "not issued by this server", id="flipped"
        ),
        pytest.param(
            lambda c: PageTokenCodec(b"other").issue(BINDING, (1,), now=NOW), "not issued", id="other-key"
        ),
        pytest.param(lambda c: "", "malformed", id="empty"),
        pytest.param(lambda c: "!!!not-base64!!!", "malformed", id="not-base64"),
        pytest.param(lambda c: "abcd", "malformed", id="too-short"),
        pytest.param(lambda c: "A" * 5000, "malformed", id="too-long"),
        pytest.param(
            lambda c: c.issue(PageBinding("other-list", BINDING.caller, BINDING.query), (1,), now=NOW),
            "another list",
            id="other-list",
        ),
        pytest.param(
            lambda c: c.issue(PageBinding("things", "client-2\nuser-1", BINDING.query), (1,), now=NOW),
            "another caller",
            id="other-caller",
        ),
        pytest.param(
            lambda c: c.issue(PageBinding("things", BINDING.caller, {"kind": "b"}), (1,), now=NOW),
            "issued for other parameters",
            id="other-query",
        ),
        pytest.param(
            lambda c: c.issue(BINDING, (1,), now=NOW - timedelta(hours=24)), "expired", id="exactly-24h-old"
        ),
    ],
)
def test_bad_tokens_are_400(codec: PageTokenCodec, make: object, words: str) -> None:
    token = make(codec)  # type: ignore[operator]
    with pytest.raises(InvalidPageToken) as caught:
        codec.open(token, BINDING, now=NOW, param="nextToken")
    assert caught.value.status == 400
    assert caught.value.message.startswith("nextToken ")
    assert words in caught.value.message


def test_expiry_is_24_hours_by_the_given_clock(codec: PageTokenCodec) -> None:
    token = codec.issue(BINDING, (1,), now=NOW)
    assert codec.open(token, BINDING, now=NOW + timedelta(hours=24) - timedelta(seconds=1)) == (1,)
    with pytest.raises(InvalidPageToken, match="expired"):
        codec.open(token, BINDING, now=NOW + timedelta(hours=24, seconds=1))


def test_tokens_issued_after_the_clock_now_are_refused(codec: PageTokenCodec) -> None:
    # Issued while the clock was moved 2 days ahead, opened after a reset put it back.
    token = codec.issue(BINDING, (1,), now=NOW + timedelta(days=2))
    with pytest.raises(InvalidPageToken, match="clock was moved back"):
        codec.open(token, BINDING, now=NOW)
    # Within the allowed skew it still opens.
    nearly_now = codec.issue(BINDING, (2,), now=NOW + timedelta(seconds=30))
    assert codec.open(nearly_now, BINDING, now=NOW) == (2,)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, 10, id="absent-default"),
        pytest.param("1", 1, id="minimum"),
        pytest.param("100", 100, id="maximum"),
        pytest.param(" 7 ", 7, id="spaces"),
        pytest.param(25, 25, id="int"),
    ],
)
def test_page_size_accepts(raw: str | int | None, expected: int) -> None:
    assert PageSize(default=10, maximum=100).parse(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("0", id="zero"),
        pytest.param("101", id="over-maximum"),
        pytest.param("-1", id="negative"),
        pytest.param("abc", id="not-a-number"),
        pytest.param("1.5", id="fraction"),
        pytest.param("", id="empty"),
        pytest.param("9" * 30, id="huge"),
    ],
)
def test_page_size_refuses(raw: str) -> None:
    with pytest.raises(BadRequest, match="maxResults must be an integer from 1 to 100"):
        PageSize(default=10, maximum=100).parse(raw)


def test_read_page_request(codec: PageTokenCodec) -> None:
    size = PageSize(default=5, maximum=50)
    first = read_page_request(codec, BINDING, max_results=None, next_token=None, size=size, now=NOW)
    assert first == PageRequest(limit=5, after=None)
    token = codec.issue(BINDING, (9,), now=NOW)
    # maxResults is not bound: a client may change the page size between pages.
    later = read_page_request(codec, BINDING, max_results="50", next_token=token, size=size, now=NOW)
    assert later == PageRequest(limit=50, after=(9,))


# -- keyset pages on a real database (SQLite, and PostgreSQL when configured) --------------------

_metadata = MetaData()
_TABLE_NAME = f"pagination_probe_{secrets.token_hex(4)}"
probe = Table(
    _TABLE_NAME,
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("label", String(20), nullable=False),
)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(_metadata.create_all)
    # 45 rows, created in bursts of 4 with the same timestamp, so ties are broken by id.
    base = datetime(2026, 3, 1, tzinfo=UTC)
    rows = [
        {"id": 1000 - i, "created_at": base + timedelta(seconds=i // 4), "label": f"r{i}"} for i in range(45)
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(probe), rows)
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(_metadata.drop_all)
        await engine.dispose()


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
async def test_keyset_pages_visit_every_row_once_in_order(
    engine: AsyncEngine, codec: PageTokenCodec, descending: bool
) -> None:
    columns = (probe.c.created_at, probe.c.id)
    seen: list[tuple[datetime, int]] = []
    token: str | None = None
    pages = 0
    async with AsyncSession(engine) as session:
        while True:
            request = read_page_request(
                codec, BINDING, max_results=7, next_token=token, size=PageSize(10, 100), now=NOW
            )
            statement = select(probe).where(probe.c.label.like("r%"))
            page = await fetch_keyset_page(
                session,
                statement,
                columns,
                request,
                key_of=lambda row: (row.created_at, row.id),
                descending=descending,
            )
            pages += 1
            seen.extend((row.created_at.replace(tzinfo=UTC), row.id) for row in page.items)
            token = next_page_token(codec, BINDING, page, now=NOW)
            if token is None:
                assert len(page.items) <= 7
                break
            assert len(page.items) == 7
    assert pages == 7  # 45 rows, 7 a page
    assert len(seen) == 45
    assert len(set(seen)) == 45
    assert seen == sorted(seen, reverse=descending)
