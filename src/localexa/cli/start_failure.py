"""A failed start-up (an unreachable PostgreSQL, a database it cannot open, a refusal) reported
in one line, `cannot start: …` (cli/serve_run.py wraps the app in `OneLineStartupFailure`)."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("localexa.serve")


class OneLineStartupFailure:
    """The app, with a failed start-up (an unreachable PostgreSQL, a database it cannot open)
    reported in one line: Starlette hands uvicorn the whole traceback as the failure message,
    which uvicorn logs as an error. The traceback is still logged, at debug level."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        # Everything else is the app's (`router`, `state`): code that reaches through uvicorn's
        # config to the FastAPI app keeps working.
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_one_line(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed" and message.get("message"):
                logger.debug("start-up failed: %s", message["message"])
                message = {**message, "message": f"cannot start: {last_line(message['message'])}"}
            await send(message)

        await self.app(scope, receive, send_one_line)


#: Lines SQLAlchemy appends after a database error's own message: not what went wrong.
_SQLALCHEMY_TRAILERS = ("(Background on this error at:", "[SQL:", "[SQL parameters hidden", "[parameters:")


#: A traceback's last line for one of localexa's own exceptions: its class path, then its message.
_OWN_EXCEPTION = re.compile(r"^localexa(?:\.\w+)+: ")


def last_line(text: str) -> str:
    """The last line of a traceback that says what went wrong: the exception and its message
    (`database "x" does not exist`), not SQLAlchemy's link to its error page after it. One of
    localexa's own exceptions (db/migrate.py `NewerDatabase`; db/outage.py `DatabaseUnreachable`,
    which names the database and the driver's error: `the database at postgresql+asyncpg://…
    cannot be reached (ConnectionRefusedError: …)`) says only its message, written for the user:
    its class path (`localexa.server.db.migrate.NewerDatabase:`) told them nothing (since
    2026-12-06); other exceptions keep their type's name."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    statements = [index for index, line in enumerate(lines) if line.startswith("[SQL:")]
    if statements and statements[-1] > 0:
        # The message is the line before the statement, which may span many lines (a CREATE
        # TABLE): its last one, `)]`, was shown (`cannot start: )]`; re-verification 2026-12-06).
        return _OWN_EXCEPTION.sub("", lines[statements[-1] - 1], count=1)
    told = [line for line in lines if not line.startswith(_SQLALCHEMY_TRAILERS)]
    line = told[-1] if told else lines[-1] if lines else "unknown error"
    return _OWN_EXCEPTION.sub("", line, count=1)
