"""A server that dies during a test: the kit's clients say so on the call that finds it dead (exit
code and log's tail), not with a bare "Connection refused" that only the next test's fixture
explains; and a server not started yet has no URL."""

from __future__ import annotations

import os
import signal

import pytest

from localexa.client import APIConnectionError, AsyncClient
from localexa.testing import Localexa, LocalexaServer, LocalexaServerError

pytestmark = pytest.mark.slow


def test_a_server_not_started_has_no_url() -> None:
    server = LocalexaServer()
    for where in ("url", "eu_url", "fe_url"):
        with pytest.raises(LocalexaServerError, match="not started"):
            getattr(server, where)  # was "http://127.0.0.1:0", a URL of nothing
    assert repr(server) == "LocalexaServer(url=None, running=False)"


def test_a_call_to_a_killed_server_says_it_exited() -> None:
    with LocalexaServer(admin_key="the-kits-key") as server, Localexa(server) as kit:
        kit.create_customer()
        with server.client(max_retries=0) as own:
            pid = server.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # no wait: the first call may find it still dying
            with pytest.raises(LocalexaServerError, match="has exited with -9") as crashed:
                kit.create_customer()
            message = str(crashed.value)
            assert "localexa listening" in message  # the log's tail
            assert "the-kits-key" not in message
            assert isinstance(crashed.value.__context__, Exception)  # the connection failure
            with pytest.raises(LocalexaServerError, match="has exited with -9"):
                own.admin.customers.list()  # a client of the caller's from server.client()
            with pytest.raises(LocalexaServerError, match="has exited with -9"):
                kit.client_for("Atza|t").credentials.get("amzn1.ask.skill.x")


async def test_an_async_call_to_a_killed_server_says_it_exited() -> None:
    async with LocalexaServer() as server:
        client: AsyncClient
        async with server.async_client() as client:
            await client.admin.customers.list()
            assert server.pid is not None
            os.kill(server.pid, signal.SIGKILL)
            with pytest.raises(LocalexaServerError, match="has exited with -9"):
                await client.admin.customers.list()


def test_a_client_of_a_server_started_again_elsewhere_fails_to_connect_as_before() -> None:
    """Only an exited server is blamed: a running one (here restarted on new ports, which an
    old client does not follow) leaves the connection error as it was."""
    with LocalexaServer() as server:
        with server.client(max_retries=0) as old:
            server.stop()
            with pytest.raises(LocalexaServerError, match="was stopped"):
                old.admin.customers.list()
            server.start()
            with pytest.raises(APIConnectionError):
                old.admin.customers.list()
        with server.client() as new:
            assert new.admin.customers.list() == []
