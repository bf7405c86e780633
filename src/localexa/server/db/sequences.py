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

Once mended, the first INSERT into a table whose exhaustion was logged that goes through says so,
once: `the id sequence … works again after N failed calls (M of them not logged)`, a warning as
every other part's "works again" (core/log_throttle.py), so that whoever saw the failure at
`--log-level warning` sees its end. Until 2026-12-07 nothing said it. The table is read from the
refused statement (`INSERT INTO <table>`). No query is added: the check after each statement
is registered at the process's first exhaustion (until then it costs nothing), and while no
sequence is failing it is one call and one dict test, ~0.5 µs a statement (SQLAlchemy's dispatch
of `after_cursor_execute` measured with timeit; a statement's round trip to PostgreSQL is
~100 µs). An INSERT that gives its own id (a restore's) would say it too, without the sequence
having room.
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
#: The table of an INSERT, as SQLAlchemy writes it: `INSERT INTO thread_networks (…)`, or quoted.
_INSERT_INTO = re.compile(r'\s*INSERT\s+INTO\s+"?([\w.]{1,200})"?', re.IGNORECASE)


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


def _table_of(statement: str | None) -> str | None:
    found = _INSERT_INTO.match(statement or "")
    return found.group(1) if found else None


def answer_exhausted_sequences(engine: AsyncEngine, where: str) -> None:
    """Raise `SequenceExhausted` for a statement PostgreSQL refused a new id, logging it
    throttled per sequence (`where` names the database in the line), and say when an INSERT into
    its table goes through again (module docstring)."""
    # One throttle per sequence: a schema has a handful, and each says when it ran out.
    throttles: dict[str, LogThrottle] = {}
    #: The tables whose inserts were refused, and their sequence: until one goes through again.
    refused: dict[str, str] = {}
    watching = False

    def _works_again(
        _conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
    ) -> None:
        if not refused:  # the hot path once every exhaustion is over: one dict test
            return
        table = _table_of(statement)
        sequence = refused.pop(table, None) if table is not None else None
        if sequence is not None:
            throttles[sequence].succeeded()

    @event.listens_for(engine.sync_engine, "handle_error")
    def _answer_503(context: ExceptionContext) -> None:
        nonlocal watching
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
        if (table := _table_of(context.statement)) is not None:
            refused[table] = sequence
            if not watching:  # no check after every statement before a sequence ever ran out
                event.listen(engine.sync_engine, "after_cursor_execute", _works_again)
                watching = True
        raise SequenceExhausted(sequence) from context.sqlalchemy_exception
