"""Timestamps as Alexa writes them: UTC, ISO 8601, milliseconds, `Z` (e.g. `2017-02-03T16:20:50.520Z`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

Now = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime | None = None) -> str:
    """`moment` as Alexa writes times (UTC, milliseconds, `Z`). A naive `moment` is UTC, as the
    validators read one (`datetime.utcnow()`): it was read as the machine's local time, so a
    sample time in New York lay five hours ahead and the gateway refused it."""
    moment = moment or utc_now()
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_message_id() -> str:
    """A fresh `messageId` (a UUID: 36 characters of `[a-f0-9-]`, inside the schema's pattern)."""
    return str(uuid.uuid4())
