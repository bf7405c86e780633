"""An AsyncClient belongs to the event loop of its first call: a call in another loop raises
EventLoopError before any connection is touched (since 2026-12-06; httpx raised a bare
RuntimeError "Event loop is closed" and the old loop's socket leaked)."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from localexa.client import AsyncClient, ClientClosedError, EventLoopError, LocalexaClientError


def _client(sent: list[httpx.Request]) -> AsyncClient:
    def reply(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=[])

    return AsyncClient(base_url="http://127.0.0.1:8080", admin_key="k", transport=httpx.MockTransport(reply))


def test_a_second_asyncio_run_is_refused_before_sending() -> None:
    sent: list[httpx.Request] = []
    client = _client(sent)
    asyncio.run(client.admin.customers.list())
    with pytest.raises(EventLoopError, match=r"first used in another event loop \(closed now\)") as caught:
        asyncio.run(client.admin.customers.list())
    assert isinstance(caught.value, LocalexaClientError)
    assert isinstance(caught.value, RuntimeError)  # what httpx raised before
    with pytest.raises(EventLoopError):  # a twin shares the connections, and so the loop
        asyncio.run(client.with_options(max_retries=0).admin.customers.list())
    assert len(sent) == 1
    with pytest.raises(EventLoopError):  # its connections can be closed only in their loop
        asyncio.run(client.aclose())


def test_a_client_never_called_closes_in_any_loop() -> None:
    client = _client([])
    asyncio.run(client.aclose())
    asyncio.run(client.aclose())  # closing twice is harmless, in any loop


def test_a_loop_of_another_thread_is_refused_while_the_first_runs() -> None:
    sent: list[httpx.Request] = []
    client = _client(sent)
    failures: list[BaseException] = []

    async def main() -> None:
        await client.admin.customers.list()

        def other_loop() -> None:
            try:
                asyncio.run(client.admin.customers.list())
            except BaseException as exc:
                failures.append(exc)

        thread = threading.Thread(target=other_loop)
        thread.start()
        await asyncio.to_thread(thread.join)
        await client.admin.customers.list()  # the first loop goes on working
        await client.aclose()

    asyncio.run(main())
    assert [type(failure) for failure in failures] == [EventLoopError]
    assert "still open" in str(failures[0])
    assert len(sent) == 2


def test_a_closed_client_says_closed_in_any_loop() -> None:
    """A closed client used in a new loop raised EventLoopError (until 2026-12-06): being closed
    is what the caller has to fix, whatever the loop."""
    sent: list[httpx.Request] = []
    client = _client(sent)

    async def use_and_close() -> None:
        await client.admin.customers.list()
        await client.aclose()

    asyncio.run(use_and_close())
    with pytest.raises(ClientClosedError):
        asyncio.run(client.admin.customers.list())
    with pytest.raises(ClientClosedError):  # a twin shares the closed connections
        asyncio.run(client.with_options(max_retries=0).admin.customers.list())
    assert len(sent) == 1
