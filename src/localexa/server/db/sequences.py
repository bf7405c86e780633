"""An id sequence PostgreSQL can give no more values: a 503, and a log line naming the sequence.

A table whose id is an autoincrement (`thread_networks.id`, an `integer`: it ends at
2,147,483,647; the journal's and the skill messages' ids are `bigint`) takes each new id from a
sequence. One at its `MAXVALUE` refuses `nextval` with SQLSTATE 2200H
(`sequence_generator_limit_exceeded`), and every insert into that table fails alike, while the
rest of the database works. Unhandled, each such write answered 500 "An internal error occurred"
with a traceback, and the journal writer, taking it for one odd row, wrote each batch again row by
row, a warning per batch (2026-12-07).

Now, as a SQLite database that refuses writes (db/outage.py `DatabaseFull`): 503 in the API's own
shape with `Retry-After`, a message for the client that names nothing of the server, and one
warning per sequence (then at most one per 30 s, counting those left out, core/log_throttle.py)
that names the sequence and how to mend it. `is_outage` (db/outage.py) counts it as an outage, so
the journal drops a batch it refuses at once.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.core.errors import ServiceUnavailable
from localexa.server.core.log_throttle import LogThrottle

logger = logging.getLogger("localexa.db")

SEQUENCE_GENERATOR_LIMIT_EXCEEDED = "2200H"
#: PostgreSQL's words: `nextval: reached maximum value of sequence "thread_networks_id_seq" (2)`.
_NAMED = re.compile(r'sequence "([^"]{1,200})"')


class SequenceExhausted(ServiceUnavailable):
    """PostgreSQL refused a new id: the sequence a table takes its ids from is at its end."""

    def __init__(self, sequence: str) -> None:
        super().__init__(
            "The database can give no more ids to records of this kind (an id sequence is at its "
            "end), so nothing of this request was stored. Retry the request later.",
            headers={"Retry-After": "1"},
        )
        self.sequence = sequence

    def __str__(self) -> str:
        return f"the id sequence {self.sequence} is at its end"


def sequence_of(exc: BaseException) -> str:
    """The sequence PostgreSQL names in its error, or `(unnamed)`."""
    found = _NAMED.search(str(exc))
    return found.group(1) if found else "(unnamed)"


def answer_exhausted_sequences(engine: AsyncEngine, where: str) -> None:
    """Raise `SequenceExhausted` for a statement PostgreSQL refused a new id, logging it
    throttled per sequence (`where` names the database in the line)."""
    # One throttle per sequence: a schema has a handful, and each says when it ran out.
    throttles: dict[str, LogThrottle] = {}

    @event.listens_for(engine.sync_engine, "handle_error")
    def _answer_503(context: ExceptionContext) -> None:
        original: Any = context.original_exception
        if getattr(original, "sqlstate", None) != SEQUENCE_GENERATOR_LIMIT_EXCEEDED:
            return
        sequence = sequence_of(original)
        throttle = throttles.setdefault(sequence, LogThrottle(logger, f"the id sequence {sequence}"))
        throttle.failed(
            "the id sequence %s of the database at %s is at its end: no row that needs an id from "
            "it is stored until it is given room (ALTER SEQUENCE %s MAXVALUE …; an integer id "
            "column made bigint first)",
            sequence,
            where,
            sequence,
        )
        raise SequenceExhausted(sequence) from context.sqlalchemy_exception
