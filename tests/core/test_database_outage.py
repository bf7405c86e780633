"""The database out of reach: a 503 in every API's own shape with `Retry-After`, and a log line per
outage, not a traceback per call (db/outage.py).

QA of 2026-12-06 stopped PostgreSQL under two loaded processes for 20-33 s: every call answered
500 "An internal error occurred" and logged a traceback (with "faults unavailable" and "journal
entry skipped" beside it, ~16 MB of log per process). PostgreSQL here sits behind a relay of the
test's own (tests/core/tcp_relay.py), so "stopping" it touches nobody else's database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout

from localexa.server.app import create_app
from localexa.server.db.engine import create_engine
from localexa.server.db.outage import DatabaseUnreachable, outage_of
from localexa.server.db.session import SessionDep
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY, SECRET_KEY, empty_before_start
from tests.core.tcp_relay import Relay, relay
from tests.factories import Admin

__all__ = ["relay"]  # the fixture (tests/core/tcp_relay.py)

MESSAGE = "The database cannot be reached now. Retry the request."
SKILL = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
PASSWORD = "pw-SECRET"
ADMIN_HEADERS = {"X-Localexa-Admin-Key": ADMIN_KEY}


def _warned(caplog: pytest.LogCaptureFixture, prefix: str) -> list[logging.LogRecord]:
    """Warnings and worse of loggers under `prefix` (another test may have left a logger of it
    at info: the access log's lines are not what is counted)."""
    return [r for r in caplog.records if r.name.startswith(prefix) and r.levelno >= logging.WARNING]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- connect failures of every kind become DatabaseUnreachable (no PostgreSQL needed) -----------


async def _unreachable(url: str) -> DatabaseUnreachable:
    """What connecting an engine on `url` raises (it must be DatabaseUnreachable)."""
    engine = create_engine(url)
    try:
        with pytest.raises(DatabaseUnreachable) as refused:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    return refused.value


async def test_a_refused_connection_names_the_database_without_its_password() -> None:
    refused = await _unreachable(f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:1/nothing")
    assert refused.message == MESSAGE  # what a client reads: nothing of the server
    assert refused.headers == {"Retry-After": "1"}
    shown = str(refused)  # what logs and a failed start say
    assert shown.startswith("the database at postgresql+asyncpg://127.0.0.1:1/nothing cannot be")
    assert "ConnectionRefusedError" in shown
    assert PASSWORD not in shown


async def _refusing_postgres(sqlstate: str, message: str) -> asyncio.Server:
    """A server that speaks just enough PostgreSQL to refuse a connection with `sqlstate`, as a
    PostgreSQL that is starting or stopping (57P03), or has no connection slot left (53300)."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        length = struct.unpack("!I", await reader.readexactly(4))[0]
        code = struct.unpack("!I", await reader.readexactly(4))[0]
        if code == 80877103:  # SSLRequest: no TLS here; the startup message follows
            writer.write(b"N")
            length = struct.unpack("!I", await reader.readexactly(4))[0]
            await reader.readexactly(4)
        await reader.readexactly(length - 8)
        fields = b"SFATAL\0VFATAL\0C" + sqlstate.encode() + b"\0M" + message.encode() + b"\0\0"
        writer.write(b"E" + struct.pack("!I", len(fields) + 4) + fields)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(refuse, "127.0.0.1", 0)


@pytest.mark.parametrize(
    ("sqlstate", "message", "driver_error"),
    [
        ("57P03", "the database system is shutting down", "CannotConnectNowError"),
        ("53300", "sorry, too many clients already", "TooManyConnectionsError"),
    ],
)
async def test_postgresql_refusing_a_connection_is_out_of_reach_too(
    sqlstate: str, message: str, driver_error: str
) -> None:
    """asyncpg's refusals reach SQLAlchemy as its own `DBAPIError`s, not as socket errors."""
    server = await _refusing_postgres(sqlstate, message)
    port = server.sockets[0].getsockname()[1]
    try:
        refused = await _unreachable(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/qa?ssl=disable")
    finally:
        server.close()
    assert str(refused) == (
        f"the database at postgresql+asyncpg://127.0.0.1:{port}/qa cannot be reached "
        f"({driver_error}: {message})"
    )


async def test_a_start_on_an_unreachable_postgresql_names_it_in_one_line(tmp_path: Path) -> None:
    """`cannot start: ConnectionRefusedError: [Errno 111] Connection refused` named neither
    PostgreSQL nor its address (QA of 2026-12-06)."""
    from localexa.cli.start_failure import OneLineStartupFailure

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://qa:{PASSWORD}@127.0.0.1:{port}/qa3"
    settings = Settings(data_dir=tmp_path / "data", database_url=url, demo=False)
    app = OneLineStartupFailure(create_app(settings))
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    with pytest.raises(DatabaseUnreachable):  # uvicorn hears the message, then the exception
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)  # type: ignore[arg-type]
    [failed] = [str(m["message"]) for m in sent if m["type"] == "lifespan.startup.failed"]
    assert failed.startswith(
        f"cannot start: the database at postgresql+asyncpg://127.0.0.1:{port}/qa3 cannot be reached "
        "(ConnectionRefusedError: "
    ), failed
    assert PASSWORD not in failed
    assert "\n" not in failed


# -- a served app whose PostgreSQL goes away -----------------------------------------------------

needs_postgres = pytest.mark.skipif(
    not os.environ.get("LOCALEXA_TEST_DATABASE_URL"), reason="needs LOCALEXA_TEST_DATABASE_URL"
)


@pytest.fixture
async def outage_app(relay: Relay, pg_database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    # A password in the URL (trust authentication ignores it): no log line may show it.
    url = make_url(pg_database_url).set(port=relay.port, password=PASSWORD)
    await empty_before_start(pg_database_url)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=url.render_as_string(hide_password=False),
        demo=False,
        admin_key=ADMIN_KEY,
        secret_key=SECRET_KEY,
        password_hash_n=1024,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        try:
            yield app
        finally:
            if not relay.listening:
                await relay.up()  # the shutdown's last journal write needs it


Call = Callable[[httpx.AsyncClient], Coroutine[Any, Any, httpx.Response]]


Shape = Callable[[httpx.Response], Any]


def _calls(token: str, client_id: str, secret: str) -> dict[str, tuple[Call, Shape]]:
    """Each API family's call, and what its 503 must carry in that family's shape."""

    def message(response: httpx.Response) -> Any:
        return response.json()["message"]

    return {
        "lwa token": (
            lambda c: c.post(
                "/auth/o2/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": "Atzr|x",
                    "client_id": client_id,
                    "client_secret": secret,
                },
            ),
            lambda r: (r.json()["error"], r.json()["error_description"]),
        ),
        "lwa profile": (
            lambda c: c.get("/user/profile", headers=_bearer(token)),
            lambda r: (r.json()["error"], r.json()["error_description"]),
        ),
        "smapi": (
            lambda c: c.get(f"/v1/skills/{SKILL}/credentials", headers=_bearer(token)),
            lambda r: (r.json()["code"], r.json()["message"]),
        ),
        "customer": (lambda c: c.get("/v1/alexaApiEndpoint", headers=_bearer(token)), message),
        "events": (
            lambda c: c.post("/v3/events", json={"event": {}}, headers=_bearer(token)),
            lambda r: (r.json()["payload"]["code"], r.json()["payload"]["description"]),
        ),
        "credential locker": (
            lambda c: c.get("/credentiallocker/v2/threadNetworks", headers=_bearer(token)),
            lambda r: (r.json()["code"], r.json()["message"]),
        ),
        "admin": (lambda c: c.get("/_localexa/customers", headers=ADMIN_HEADERS), message),
        "sign-in page": (
            lambda c: c.get("/ap/oa", params={"client_id": client_id, "response_type": "code"}),
            lambda r: (r.headers["content-type"].split(";")[0], MESSAGE in r.text),
        ),
    }


EXPECTED = {
    "lwa token": ("temporarily_unavailable", MESSAGE),
    "lwa profile": ("temporarily_unavailable", MESSAGE),
    "smapi": ("SERVICE_UNAVAILABLE", MESSAGE),
    "customer": MESSAGE,
    "events": ("SERVICE_UNAVAILABLE_EXCEPTION", MESSAGE),
    "credential locker": ("SERVICE_UNAVAILABLE", MESSAGE),
    "admin": MESSAGE,
    "sign-in page": ("text/html", True),
}
ROUNDS = 3


@needs_postgres
async def test_postgresql_out_of_reach_answers_503_in_each_api_shape_and_logs_once(
    outage_app: FastAPI, relay: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx.ASGITransport(app=outage_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        admin = Admin(client, ADMIN_KEY)
        customer = await admin.customer()
        client_id, secret = await admin.lwa_client()
        token = await admin.access_token(customer.user_id, ["profile"], client_id)
        calls = _calls(token, client_id, secret)

        await relay.down()
        await asyncio.sleep(0.6)  # past the clock's and the faults' caches (0.5 s): they re-read too
        with caplog.at_level(logging.WARNING, logger="localexa"):
            for _ in range(ROUNDS):  # many calls, one log line per part
                for name, (call, shape) in calls.items():
                    # The in-process transport raises what the app raises: an answer means the
                    # exception stopped inside the app.
                    response = await call(client)
                    assert response.status_code == 503, (name, response.text)
                    assert response.headers["Retry-After"] == "1", name
                    assert shape(response) == EXPECTED[name], (name, response.text)
            ready = await client.get("/_localexa/ready")
            assert (ready.status_code, ready.json()["database"]) == (503, "unreachable")
            assert ready.headers["Retry-After"] == "1"
            await outage_app.state.journal.flush()
            during = _warned(caplog, "localexa")
            caplog.clear()

            await relay.up()
            listed = await client.get("/_localexa/customers", headers=admin.headers)
            assert listed.status_code == 200, listed.text
            after = [r.getMessage() for r in _warned(caplog, "localexa.db")]

    messages = [r.getMessage() for r in during]
    assert not [r for r in during if r.exc_info or r.levelno >= logging.ERROR], messages
    where = f"postgresql+asyncpg://127.0.0.1:{relay.port}/"
    unreachable = [m for m in messages if "cannot be reached" in m and m.startswith("the database at")]
    assert len(unreachable) == 1, messages
    assert where in unreachable[0]
    assert not [m for m in messages if PASSWORD in m]
    # Every part that failed said so once: the database, the faults, the journal.
    parts = {r.name for r in during}
    assert {"localexa.db", "localexa.faults", "localexa.journal"} <= parts, messages
    assert len(messages) <= len(parts) + 1, messages  # the database's may add a lost connection
    assert any(m.startswith(f"the database at {where}") and "works again" in m for m in after), after


@needs_postgres
async def test_a_connection_lost_mid_request_answers_503_with_retry_after(
    outage_app: FastAPI, relay: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    holding, release = asyncio.Event(), asyncio.Event()

    async def holds_a_connection(session: SessionDep) -> dict[str, str]:
        await session.execute(text("SELECT 1"))
        holding.set()
        await release.wait()
        await session.execute(text("SELECT 1"))  # on a connection the database has closed
        return {}

    outage_app.add_api_route("/_localexa/test-only-hold", holds_a_connection, methods=["GET"])
    transport = httpx.ASGITransport(app=outage_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        with caplog.at_level(logging.WARNING, logger="localexa"):
            call = asyncio.create_task(client.get("/_localexa/test-only-hold"))
            await asyncio.wait_for(holding.wait(), 10)
            await relay.down()
            release.set()
            response = await call

    assert response.status_code == 503, response.text
    assert response.json() == {"message": "The database connection was lost. Retry the request."}
    assert response.headers["Retry-After"] == "1"
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    lost = [r.getMessage() for r in caplog.records if "was lost" in r.getMessage()]
    assert len(lost) == 1, caplog.text
    assert lost[0].startswith(f"a connection to the database at postgresql+asyncpg://127.0.0.1:{relay.port}/")


async def _pool_gave_up() -> None:
    raise PoolTimeout("QueuePool limit of size 20 overflow 20 reached, connection timed out, timeout 30.00")


async def test_a_pool_that_has_no_connection_free_answers_503_and_logs_once(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Every pooled connection busy past the pool's timeout (connects hanging on a database that
    does not answer): SQLAlchemy's `TimeoutError` was a 500 with a traceback per call."""
    app.add_api_route("/_localexa/test-only-pool", _pool_gave_up, methods=["GET"])
    with caplog.at_level(logging.WARNING, logger="localexa"):
        answers = [await client.get("/_localexa/test-only-pool") for _ in range(3)]
    for response in answers:
        assert response.status_code == 503, response.text
        assert response.json() == {"message": MESSAGE}
        assert response.headers["Retry-After"] == "1"
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    [logged] = [r.getMessage() for r in _warned(caplog, "localexa.db")]
    outage = outage_of(app.state.engine)
    assert outage is not None
    assert logged == f"no connection to the database at {outage.where} came free in time"
