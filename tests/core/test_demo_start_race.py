"""The demo's start check while another process seeds the demo beside it (PostgreSQL).

Two `--demo` processes started at once on one new database: B's check (`refuse_demo_start`, in its
migration's transaction, READ COMMITTED) read "no seed row", then A committed the demo, then B saw
the demo customer's e-mail taken and refused with "demo.json is missing" (CI of stop 36). The
check must hold whichever of its reads A's commit lands between.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from localexa.server.admin.demo_checks import CUSTOMER_EMAIL, DEVELOPER_EMAIL, refuse_demo_start
from localexa.server.core.crypto import SecretBox
from localexa.server.db.base import DEMO_SEAL_CONTEXT
from localexa.server.db.engine import create_engine
from tests.core.test_upgrade_with_data import own_postgres
from tests.core.upgrade_data import SECRET_KEY, migrate_to, settings_for

BOX = SecretBox(SECRET_KEY.encode())


@pytest.fixture
def url() -> Iterator[str]:
    with own_postgres("demo_race") as own:
        yield own


async def seed_as_another_process(url: str) -> None:
    """What `ensure_demo` commits in one transaction: both customers and the sealed seed."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            demo_customers = (("amzn1.account.C", CUSTOMER_EMAIL), ("amzn1.account.D", DEVELOPER_EMAIL))
            for customer_id, email in demo_customers:
                await conn.execute(
                    text(
                        "INSERT INTO customers (id, name, email, password_hash, region, created_at)"
                        " VALUES (:id, 'Demo', :email, 'x', 'NA', :now)"
                    ),
                    {"id": customer_id, "email": email, "now": now},
                )
            sealed = BOX.seal(json.dumps({"customer_id": "amzn1.account.C"}), context=DEMO_SEAL_CONTEXT)
            await conn.execute(text("INSERT INTO demo_seed (id, sealed) VALUES (1, :s)"), {"s": sealed})
    finally:
        await engine.dispose()


class SeedAfter:
    """The check's connection, with the other process committing right after its n-th statement."""

    def __init__(self, conn: AsyncConnection, url: str, n: int) -> None:
        self.conn, self.url, self.n, self.statements = conn, url, n, 0

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        result = await self.conn.execute(*args, **kwargs)
        self.statements += 1
        if self.statements == self.n:
            await seed_as_another_process(self.url)
        return result


@pytest.mark.parametrize("n", range(1, 4))
async def test_the_demo_check_holds_whichever_read_another_process_seeds_between(
    url: str, tmp_path: Path, n: int
) -> None:
    await migrate_to(url, "head")
    settings = settings_for(url, tmp_path / "data", demo=True)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            watched = SeedAfter(conn, url, n)
            await refuse_demo_start(cast(AsyncConnection, watched), settings, BOX)  # no refusal
            assert watched.statements >= n  # the other process's commit landed inside the check
    finally:
        await engine.dispose()
