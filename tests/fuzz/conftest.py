"""What the fuzz tests share: the storage a served localexa runs on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scale.processes import (
    postgres_database,
    postgres_unreachable_reason,
    redis_unreachable_reason,
    redis_url_for_test,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest) -> Iterator[tuple[str | None, dict[str, str]]]:
    """(database URL, environment) of the server: the default SQLite file, or PostgreSQL with Redis
    as several processes run it (PostgreSQL refuses what SQLite stores: U+0000 in text was a 500
    there, found this way)."""
    if request.param == "sqlite":
        yield None, {}
        return
    reason = postgres_unreachable_reason() or redis_unreachable_reason()
    if reason:
        pytest.skip(f"PostgreSQL fuzzing: {reason}")
    with postgres_database("localexa_fuzz") as database_url:
        yield database_url, {"LOCALEXA_REDIS_URL": redis_url_for_test()}
