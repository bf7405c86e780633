"""Reading the journal: filters from query parameters, opaque cursors, entries as the API shows them.

Shared by `GET /_localexa/journal` and the console's journal page.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from localexa.server.core.clock import as_utc, iso
from localexa.server.core.errors import BadRequest
from localexa.server.observe import repository
from localexa.server.observe.repository import JournalFilter
from localexa.server.observe.schemas import JournalEntryOut, JournalPage

MAX_LIMIT = 1000
_CURSOR_PREFIX = "journal:"
_REGIONS = frozenset({"NA", "EU", "FE"})
_CALLER_KEYWORDS = frozenset({"admin", "localexa"})


def parse_time(name: str, value: str | None) -> datetime | None:
    """ISO-8601, leniently: `Z`, a space for `T`, and a `+` that a URL turned into a space."""
    if not value:
        return None
    for candidate in (value, value.replace(" ", "+"), value.replace(" ", "T", 1)):
        try:
            parsed = datetime.fromisoformat(candidate.strip())
        except ValueError:
            continue
        # UTC, because SQLite compares the stored UTC text and ignores offsets.
        try:
            return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is in the year 0 in UTC: Python has none
            raise BadRequest(f"{name}: {value!r} is out of range in UTC.") from None
    raise BadRequest(f"{name}: {value!r} is not an ISO-8601 time.")


def parse_status(value: str | None) -> tuple[int | None, int | None]:
    """`503` (exact) or `5xx` (a class)."""
    if not value:
        return None, None
    text = value.strip().lower()
    if len(text) == 3 and text.endswith("xx") and text[0] in "12345":
        return None, int(text[0])
    if text.isascii() and text.isdigit() and 100 <= int(text) <= 599:  # "²" and "٥٠٣" are digits too
        return int(text), None
    raise BadRequest(f"status: {value!r} is not a status (503) or a status class (5xx).")


def build_filter(
    *,
    path: str | None = None,
    status: str | None = None,
    customer: str | None = None,
    skill: str | None = None,
    caller: str | None = None,
    region: str | None = None,
    direction: str | None = None,
    request_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> JournalFilter:
    # Trimmed, as the console's fields are: `path=%20/v1` was refused here "(such as / /v1)"
    # while the console took it (re-verification of 2026-12-06).
    path = path.strip() if path else path
    # Every recorded path starts with `/`: `path=v1` matched nothing and answered an empty page,
    # which reads as "no such calls" (the console said so; the admin API, since 2026-12-06, too).
    if path and not path.startswith("/"):
        raise BadRequest(f"path: {path!r} matches no call: a path starts with / (such as /{path}).")
    exact, status_class = parse_status(status)
    # Any case, as region and the console's filter take it (`INBOUND` was a 400 here only).
    direction = direction.lower() if direction else None
    if direction and direction not in ("inbound", "outbound"):
        raise BadRequest("direction: must be inbound or outbound.")
    # Checked as direction is: an unknown region (`US`, a typo) matched nothing and answered an
    # empty page, which reads as "no such calls" rather than "no such filter".
    if region and region.upper() not in _REGIONS:
        raise BadRequest(f"region: {region!r} is not a region (NA, EU or FE).")
    return JournalFilter(
        path=path or None,
        status=exact,
        status_class=status_class,
        customer=customer or None,
        skill=skill or None,
        caller=_caller(caller),
        region=region.upper() if region else None,
        direction=direction or None,
        request_id=request_id or None,
        since=parse_time("since", since),
        until=parse_time("until", until),
    )


def _caller(value: str | None) -> str | None:
    """The keywords `admin` and `localexa` in any case, as `region` is taken; a client id exactly
    (LWA client ids are case-sensitive)."""
    if not value:
        return None
    return value.lower() if value.lower() in _CALLER_KEYWORDS else value


def encode_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{entry_id}".encode()).decode().rstrip("=")


#: Journal ids are 64-bit signed integers on both databases.
MAX_ENTRY_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        digits = text.removeprefix(_CURSOR_PREFIX)
        # Only what `encode_cursor` writes: ASCII digits of an id the table can hold (int()
        # also takes "1_0", " 10" and numbers the database cannot bind: a 500, not a 400).
        if text.startswith(_CURSOR_PREFIX) and _DIGITS.fullmatch(digits) and int(digits) <= MAX_ENTRY_ID:
            return int(digits)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadRequest("cursor: not a cursor this server gave.")


def entry_out(row: dict[str, Any]) -> JournalEntryOut:
    return JournalEntryOut(
        id=row["id"],
        time=iso(as_utc(row["at"])),
        direction=row["direction"],
        method=row["method"],
        path=row["path"],
        query=row["query"],
        url=row["url"],
        route=row["route"],
        status=row["status"],
        latency_ms=row["latency_ms"],
        request_id=row["request_id"],
        caller=row["caller"],
        customer=row["customer"],
        skill=row["skill"],
        region=row["region"],
        request_headers=row["request_headers"] or {},
        request_body=row["request_body"],
        response_headers=row["response_headers"] or {},
        response_body=row["response_body"],
        error=row["error"],
        fault_id=row["fault_id"],
    )


async def read_page(app: FastAPI, where: JournalFilter, *, limit: int, cursor: str | None) -> JournalPage:
    """Newest first; flushes this process's queue first so a call just answered is there."""
    before = decode_cursor(cursor)
    limit = max(1, min(limit, MAX_LIMIT))
    await app.state.journal.flush()
    async with app.state.journal.engine.connect() as conn:
        rows = await repository.journal_page(conn, where, limit=limit + 1, before_id=before)
    more = len(rows) > limit
    rows = rows[:limit]
    return JournalPage(
        entries=[entry_out(r) for r in rows],
        next_cursor=encode_cursor(rows[-1]["id"]) if more and rows else None,
    )


async def read_entry(app: FastAPI, entry_id: int) -> JournalEntryOut | None:
    if not 0 < entry_id <= MAX_ENTRY_ID:
        return None  # no row can have it, and the database could not even bind it
    await app.state.journal.flush()
    async with app.state.journal.engine.connect() as conn:
        row = await repository.journal_entry(conn, entry_id)
    return entry_out(row) if row is not None else None
