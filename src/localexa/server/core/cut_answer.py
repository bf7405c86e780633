"""A streamed answer that fails after its first bytes: the connection is ended, and the failure is
logged once, in one line, by the code that streamed it.

Once a status has been sent, no error answer can follow: the only honest end is to close the
connection without the chunked answer's last chunk, so the client sees a cut answer (httpx:
`RemoteProtocolError`; curl: "transfer closed with outstanding read data remaining"), never one
that looks whole. The code streaming the answer logs what happened and raises `AnswerCut`, which
ends the connection the one way ASGI has: an exception out of the app.

Until 2026-12-07 such an exception (a snapshot whose database connection was cut, observe/
snapshot_stream.py) logged two tracebacks at level error: the app's "unhandled error" (core/
error_handlers.py) and uvicorn's "Exception in ASGI application". The handler now lets an
`AnswerCut` pass silently, and a filter on uvicorn's logger drops its record of one (snapshot39
review F3).
"""

from __future__ import annotations

import logging


class AnswerCut(Exception):
    """An answer whose streaming failed after its first bytes, already logged by what streamed it."""


class _AlreadyLogged(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" record of an `AnswerCut`."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        return not (exc_info and isinstance(exc_info[1], AnswerCut))


_ALREADY_LOGGED = _AlreadyLogged()


def quiet_uvicorn_on_cut_answers() -> None:
    """Install the filter on the logger uvicorn's HTTP protocols log with (again is harmless:
    `addFilter` keeps one)."""
    logging.getLogger("uvicorn.error").addFilter(_ALREADY_LOGGED)
