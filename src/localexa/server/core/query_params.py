"""A query parameter given twice: Starlette keeps the last (`extendedPanId=A&extendedPanId=B`
listed B's networks; `maxResults=5&maxResults=6` paged by 6), so the APIs refuse it instead."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl


def repeated_parameter(query_string: bytes, names: Iterable[str] | None = None) -> str | None:
    """The first of `names` (every name, when None) that `query_string` gives more than once, or
    None. Cheap on the hot path: a query without `&` has nothing to repeat, and with `names` a
    name that occurs once in the bytes is not parsed for."""
    if b"&" not in query_string:
        return None
    # The shortcut reads raw bytes: an encoded name (`extended%50anId`) is only seen parsed
    # (re-verification of 2026-12-06: the Credential Locker listed the second network).
    if (
        names is not None
        and b"%" not in query_string
        and not any(query_string.count(name.encode()) > 1 for name in names)
    ):
        return None
    keys = [key for key, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)]
    wanted = set(keys) if names is None else set(names)
    seen: set[str] = set()
    for key in keys:
        if key in seen and key in wanted:
            return key
        seen.add(key)
    return None
