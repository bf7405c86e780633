"""A write is committed before its answer starts (db/session.py: the session dependency is
function-scoped). FastAPI's default scope for a yield dependency closes it only after the response
went out, so a crash, or a commit that fails, right then would lose a write answered 2xx."""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.types import Message, Receive, Scope, Send

from tests.conftest import ADMIN_KEY

#: Set while the recorded app handles a call: the commits of background work (the evaluation
#: worker commits a session about every second) are not the call's, and are not recorded.
_in_call: ContextVar[bool] = ContextVar("in_call", default=False)


@pytest.fixture
def order() -> Iterator[list[str]]:
    events: list[str] = []

    def committed(session: Session) -> None:
        if _in_call.get():
            events.append("commit")

    event.listen(Session, "after_commit", committed)
    try:
        yield events
    finally:
        event.remove(Session, "after_commit", committed)


def recording(app: FastAPI, events: list[str]) -> object:
    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                events.append(f"answer {message['status']}")
            await send(message)

        token = _in_call.set(True)
        try:
            await app(scope, receive, send_recorded)
        finally:
            _in_call.reset(token)

    return asgi


async def test_the_commit_comes_before_the_answer(app: FastAPI, order: list[str]) -> None:
    transport = httpx.ASGITransport(app=recording(app, order))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        body = {"name": "Ada", "email": "ada@example.com", "password": "pw", "region": "NA"}
        made = await client.post(
            "/_localexa/customers", json=body, headers={"X-Localexa-Admin-Key": ADMIN_KEY}
        )
        assert made.status_code == 201, made.text
        assert "commit" in order
        assert order[-1] == "answer 201", order  # nothing committed after the client was answered
        # And a failing request commits nothing at all.
        order.clear()
        again = await client.post(
            "/_localexa/customers", json=body, headers={"X-Localexa-Admin-Key": ADMIN_KEY}
        )
        assert again.status_code == 409, again.text
        assert order == ["answer 409"]
