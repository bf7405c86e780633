"""A Lambda-style handler that never returns: the call times out, the worker is killed and the
server answers meanwhile (a module of its own for its shorter directive timeout)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from localexa.server.settings import Settings
from tests.directives.conftest import MyLights, endpoints_after_link, link_customer, send
from tests.directives.handlers import PID_FILE_ENV
from tests.factories import Admin

HANDLERS = "python:tests.directives.handlers"
#: Each of the two calls waits this long: enough for a new worker to start and write its pid file.
NEVER_RETURNS_TIMEOUT = 1.5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"directive_timeout": NEVER_RETURNS_TIMEOUT})


async def test_a_handler_that_never_returns_times_out_and_the_server_still_answers(
    admin: Admin,
    client: httpx.AsyncClient,
    mylights: MyLights,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    linked = await link_customer(
        admin, client, mylights, endpoint=f"{HANDLERS}:sleep_forever", permissions=[]
    )
    view = await endpoints_after_link(admin, linked)
    assert view["discovery"]["status"] == "FAILED"
    assert "did not return" in view["discovery"]["message"]

    pid_file = tmp_path / "pid"
    monkeypatch.setenv(PID_FILE_ENV, str(pid_file))
    body = {
        "userId": linked.user_id,
        "skillId": linked.skill_id,
        "endpointId": "light-1",
        "namespace": "Alexa.PowerController",
        "name": "TurnOn",
    }
    pending = asyncio.create_task(send(admin, body))
    health = await client.get("/_localexa/health")
    assert health.status_code == 200
    assert not pending.done()  # the server answered while the handler was still stuck

    answer = (await pending).json()
    assert answer["error"]["type"] == "TIMEOUT"
    assert answer["response"] is None
    assert answer["verdict"]["valid"] is False
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)  # the worker was killed, not left running
