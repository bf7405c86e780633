"""An after-link follow-up whose customer is deleted while it waits for the skill (a reset on
SQLite, where no generation stops it in time) met a foreign-key error writing the skill's answer
and logged it as a failure with a traceback (QA under load, 2026-12-05): now one info line."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.enablement.helpers import customer_token, link, linked_skill, new_code
from tests.enablement.token_server import TokenServer
from tests.factories import Admin
from tests.servers import serve_in_loop


async def test_a_follow_up_whose_customer_went_stops_quietly(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Admin,
    token_server: TokenServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = asyncio.Event()
    customer = await admin.customer()

    async def skill(request: Request) -> JSONResponse:
        directive = (await request.json())["directive"]
        async with app.state.engine.begin() as conn:  # the customer goes while the skill answers
            await conn.execute(text("DELETE FROM customers WHERE id = :id"), {"id": customer.user_id})
        gone.set()
        header = {**directive["header"], "name": "Discover.Response", "messageId": "m-1"}
        return JSONResponse({"event": {"header": header, "payload": {"endpoints": []}}})

    caplog.set_level(logging.INFO, logger="localexa.directives")
    async with serve_in_loop(Starlette(routes=[Route("/skill", skill, methods=["POST"])])) as url:
        made = await linked_skill(admin, token_server, endpoint=f"{url}/skill")
        token = await customer_token(admin, customer)
        assert (await link(client, token, made.skill_id, new_code())).status_code == 201
        await asyncio.wait_for(gone.wait(), 10)
        for _ in range(100):  # the follow-up writes the answer after the skill's reply
            if "after-link follow-up" in caplog.text:
                break
            await asyncio.sleep(0.05)
    follow_ups = [r for r in caplog.records if "after-link follow-up" in r.getMessage()]
    assert follow_ups, caplog.text
    assert all(r.levelno == logging.INFO for r in follow_ups), [
        (r.levelname, r.getMessage()) for r in follow_ups
    ]
    assert any("deleted while it ran" in r.getMessage() for r in follow_ups)
