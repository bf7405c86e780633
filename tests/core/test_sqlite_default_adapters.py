"""A date or datetime handed to sqlite3 untyped is refused on every Python the suite runs on.

sqlite3's default date and datetime adapters are deprecated since Python 3.12 (a
DeprecationWarning, an error under the suite's filterwarnings), and tests passing a datetime to a
`text()` statement passed on CI's 3.11 and failed on 3.12 and 3.13. tests/conftest.py makes 3.11
warn the same way; the models' DateTime hands sqlite3 a string and warns nowhere.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import DateTime, bindparam, text

from localexa.server.db.engine import create_engine


@pytest.mark.parametrize("value", [datetime(2026, 12, 6, 14, 0, tzinfo=UTC), date(2026, 12, 6)])
def test_an_untyped_date_or_datetime_warns_as_on_python_3_12(value: date) -> None:
    connection = sqlite3.connect(":memory:")
    try:
        with pytest.warns(DeprecationWarning, match="default date(time)? adapter is deprecated"):
            connection.execute("SELECT ?", (value,))
    finally:
        connection.close()


async def test_a_datetime_typed_as_the_models_type_it_is_stored_without_a_warning(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'typed.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (at TIMESTAMP)"))
            await conn.execute(
                text("INSERT INTO t (at) VALUES (:at)").bindparams(
                    bindparam("at", type_=DateTime(timezone=True))
                ),
                {"at": datetime(2026, 12, 6, 14, 0, 1, 5, tzinfo=UTC)},
            )
            stored = (await conn.execute(text("SELECT at FROM t"))).scalar_one()
    finally:
        await engine.dispose()
    assert stored == "2026-12-06 14:00:01.000005"
