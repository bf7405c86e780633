"""One logging setup for `localexa serve`: key=value lines carrying the request id, scrubbed.

    time=2025-01-01T12:00:00.123Z level=info logger=localexa.access request_id=3f2c… msg="method=GET …"

Every record passes core.request_id.RequestIdLogFilter (the id of the request it was logged in,
`-` outside one) and a filter that scrubs LWA tokens and secret fields from the message
(observe/redaction.py), so a careless log call cannot leak a token. uvicorn's own loggers go
through the same handler.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import TextIO

from localexa.server.core.request_id import RequestIdLogFilter
from localexa.server.observe.redaction import redact_header_pairs, redact_text

_HANDLER_NAME = "localexa"


class RedactingFilter(logging.Filter):
    """Replaces the record's message with its scrubbed text (args merged first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = redact_header_pairs(redact_text(message))
        if scrubbed != message or record.args:
            record.msg = scrubbed
            record.args = None
        return True


# Control characters (a `%00` or `%0d` in a request path reaches the access line decoded) and
# Unicode's line breaks: one record stays one line, and grep does not take the log for binary.
# The bidirectional controls too (U+202A–202E, U+2066–2069, U+200E/F, U+061C): a `%E2%80%AE` in a
# path reversed the rest of the line on a terminal (status, latency: "Trojan Source"; security QA
# of 2026-12-06).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\x85\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _quoted(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _UNPRINTABLE.sub(_escaped, text) + '"'


class KeyValueFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z"
        line = (
            f"time={stamp} level={record.levelname.lower()} logger={record.name} "
            f"request_id={getattr(record, 'request_id', '-')} msg={_quoted(record.getMessage())}"
        )
        if record.exc_info:
            # Scrubbed like the message: an exception's text may quote request data.
            line += f" exc={_quoted(redact_header_pairs(redact_text(self.formatException(record.exc_info))))}"
        return line


#: uvicorn's level below DEBUG (uvicorn.config.TRACE_LOG_LEVEL), for `--log-level trace`.
TRACE_LEVEL = 5


def configure_logging(level: str = "info", *, stream: TextIO | None = None) -> logging.Handler:
    """Install the handler on the root logger (once; calling again replaces it)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdLogFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(handler)
    # uvicorn's TRACE (5) is registered when uvicorn.config is imported, which `serve` may not have
    # done yet: `--log-level trace` failed with "Unknown level: 'TRACE'" and a traceback.
    logging.addLevelName(TRACE_LEVEL, "TRACE")
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    # Alembic 1.16+ says "setup plugin alembic.autogenerate.…" seven times at info before every
    # upgrade (packaging QA): its useful lines ("Running upgrade …") come from alembic.runtime.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, root.level))
    return handler
