"""The database out of reach after the skill's token server took the app's authCode: the answer
says the code is spent (operations QA of 2026-12-06: "An internal error occurred. Retry the
request.", and the retry met "Invalid account linking credentials")."""

from __future__ import annotations

import httpx
import pytest

from localexa.server.db.outage import DatabaseUnreachable
from localexa.server.enablement.service import EnablementService
from tests.enablement.helpers import customer_token, link, linked_skill, new_code
from tests.enablement.token_server import TokenServer
from tests.factories import Admin


async def test_an_outage_while_storing_the_link_says_the_code_is_spent(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    skill = await linked_skill(admin, token_server)
    token = await customer_token(admin, await admin.customer())
    code = new_code()

    async def unreachable(*_args: object, **_kwargs: object) -> None:
        raise DatabaseUnreachable(
            "postgresql+asyncpg://127.0.0.1:5544/qa3", "ConnectionRefusedError: refused"
        )

    monkeypatch.setattr(EnablementService, "_store_link", unreachable)
    answer = await link(client, token, skill.skill_id, code)
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "1"
    message = answer.json()["message"]
    assert "the database could not be reached to store the link; nothing was stored" in message
    assert "The authCode is spent: get a new one" in message
    assert "5544" not in message  # the client is told nothing of the server
    assert len(token_server.calls_with("code", code)) == 1
