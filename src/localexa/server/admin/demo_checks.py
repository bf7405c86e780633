"""The demo's refusals to start, decided before the start's migration commits (db/migrate.py).

`ensure_demo` (admin/demo.py) refused after the migration: the start failed, yet an older
database was already at the newest revision, and the older localexa could no longer open it
(since 2026-12-06 `refuse_demo_start` runs in the migration's transaction and a refusal rolls it
back). `ensure_demo` keeps the same refusals, with the same words, for starts without the check.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from localexa.server.core.crypto import SecretBox
from localexa.server.db.base import DEMO_SEAL_CONTEXT, DemoSeed
from localexa.server.lwa.models import Customer
from localexa.server.settings import Settings

CUSTOMER_EMAIL = "demo@localexa.test"
DEVELOPER_EMAIL = "developer@localexa.test"

DEMO_JSON_MISSING = (
    "demo customer exists but demo.json is missing: an older localexa seeded the demo and kept its "
    "ids in the data dir that seeded it only; start once from the data dir that seeded it (its "
    "demo.json; every data dir reuses the demo after that), or start with --no-demo"
)
DEMO_JSON_STALE = (
    "demo customer exists but this data dir's demo.json names a demo that is not in the database "
    "(a restore replaced it; a snapshot of a localexa older than 2026-12-04 keeps no demo seed): an "
    "older localexa seeded the demo in the database and kept its ids in the data dir that seeded it "
    "only; copy that data dir's demo.json here (every data dir reuses the demo after that), or start "
    "with --no-demo"
)


def older_demo_refusal(has_demo_json: bool) -> str:
    """Why a `--demo` start stops on an older localexa's demo: no demo.json here, or one naming a
    demo the database no longer holds (it said "missing" of a file that was there: upgrade37 F1)."""
    return DEMO_JSON_STALE if has_demo_json else DEMO_JSON_MISSING


OTHER_KEY = (
    # The key is LOCALEXA_SECRET_KEY or, unset, the data dir's own file: a second data dir on the
    # same database is the usual way to meet this, and the message named only the variable.
    "the demo in this database was seeded under another secret key (LOCALEXA_SECRET_KEY, "
    "else <data dir>/secret-key); start every process on it with the same key or --data-dir"
)


def developer_email_taken() -> str:
    # A customer of the user's own: creating the demo's would stop on a bare Conflict that named
    # neither the demo nor the way out (`--demo` is serve's default).
    return (
        f"a customer of this database has the demo developer's e-mail {DEVELOPER_EMAIL}, "
        "so the demo cannot be created; start with --no-demo"
    )


def open_seed(box: SecretBox, sealed: str) -> dict[str, str]:
    try:
        opened: dict[str, str] = json.loads(box.open(sealed, context=DEMO_SEAL_CONTEXT))
    except ValueError as exc:
        raise RuntimeError(OTHER_KEY) from exc
    return opened


async def _customer_exists(conn: AsyncConnection, customer_id: str) -> bool:
    found = await conn.execute(select(Customer.id).where(Customer.id == customer_id))
    return found.first() is not None


async def _email_taken(conn: AsyncConnection, email: str) -> bool:
    found = await conn.execute(select(Customer.id).where(Customer.email == email.lower()))
    return found.first() is not None


async def refuse_demo_start(conn: AsyncConnection, settings: Settings, box: SecretBox) -> None:
    """Raise what `ensure_demo` would refuse with, reading only (the seeding itself is later)."""
    from localexa.server.admin.demo import load_state

    # The e-mails first, the seed after: another process's `ensure_demo` commits the customers and
    # the seed together, and each read here sees what was committed before it (READ COMMITTED; no
    # lock is held). Read the other way round, a seeding committed between the reads looked like an
    # older localexa's demo (no seed, e-mail taken) and refused one of two processes started at once.
    customer_taken = await _email_taken(conn, CUSTOMER_EMAIL)
    developer_taken = await _email_taken(conn, DEVELOPER_EMAIL)
    sealed = (await conn.execute(select(DemoSeed.sealed).where(DemoSeed.id == 1))).scalar()
    seeded = open_seed(box, sealed) if sealed is not None else None  # another key: refused
    if not (customer_taken or developer_taken):
        return
    local = load_state(settings)
    if local is not None and await _customer_exists(conn, local.customer_id):
        return
    if seeded is not None and await _customer_exists(conn, seeded["customer_id"]):
        return
    if customer_taken:
        raise RuntimeError(older_demo_refusal(local is not None))
    raise RuntimeError(developer_email_taken())
