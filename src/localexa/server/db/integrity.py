"""Which rule an IntegrityError broke, on either database.

Races between requests (and between processes) surface as integrity errors at the flush: a unique
violation means another request stored the same thing first (a conflict, 409); a foreign-key
violation means something this request refers to was deleted while it ran (a reset, a restore,
another call; 404). Anything else (NOT NULL, CHECK) is a bug, and stays one.
"""

from __future__ import annotations

import enum

from sqlalchemy.exc import IntegrityError


class Violation(enum.Enum):
    UNIQUE = "unique"
    FOREIGN_KEY = "foreign key"


#: PostgreSQL's SQLSTATEs (Appendix A) and SQLite's extended result codes.
_BY_CODE = {
    "23505": Violation.UNIQUE,
    "23503": Violation.FOREIGN_KEY,
    "SQLITE_CONSTRAINT_UNIQUE": Violation.UNIQUE,
    "SQLITE_CONSTRAINT_PRIMARYKEY": Violation.UNIQUE,
    "SQLITE_CONSTRAINT_FOREIGNKEY": Violation.FOREIGN_KEY,
}


def violation(exc: IntegrityError) -> Violation | None:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    return _BY_CODE.get(str(code)) if code else None
