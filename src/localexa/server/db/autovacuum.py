"""PostgreSQL without autovacuum: said once at start.

The journal is trimmed to its retention and expired tokens and codes are swept, but on PostgreSQL
a deleted row's space is reused only once VACUUM has freed it. With autovacuum off (a server set
up for bulk loads, some managed test databases) those tables grow for ever: soak38 measured the
journal's table at +2.7 MB per 1,000 requests at a constant 10,000 rows (15.6 -> 33.2 MB in 20
minutes), which nothing in localexa's answers or logs told.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.db.outage import where_of

logger = logging.getLogger("localexa.db")


async def warn_without_autovacuum(engine: AsyncEngine) -> bool:
    """Log a warning when the server's autovacuum is off; True when it was. One statement."""
    async with engine.connect() as conn:
        setting = (await conn.execute(text("SHOW autovacuum"))).scalar_one()
    if str(setting).lower() in ("on", "true", "1", "yes"):
        return False
    logger.warning(
        "autovacuum is off on the PostgreSQL server of %s: the space of the journal's trimmed "
        "entries and of swept tokens is never reused, so those tables grow for ever; turn it on "
        "(autovacuum = on) or run VACUUM now and then",
        where_of(engine.url.render_as_string(hide_password=True)),
    )
    return True
