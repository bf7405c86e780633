"""`Client(timeout=)` (default: 30 s, 10 s to connect) and, since 2026-12-06, a `with_options`
twin's own `timeout=`, sync and async, leaving the client it came from as it was."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from localexa.client import DEFAULT_TIMEOUT, APITimeoutError, AsyncClient, Client, ConfigurationError
from localexa.testing.ports import free_port_block

BASE = "http://127.0.0.1:8080"


def _recorder(seen: list[dict[str, float | None]]) -> httpx.MockTransport:
    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json=[])

    return httpx.MockTransport(reply)


def test_the_default_and_a_twins_own_timeout() -> None:
    seen: list[dict[str, float | None]] = []
    with Client(base_url=BASE, admin_key="k", transport=_recorder(seen)) as client:
        client.admin.customers.list()
        quick = client.with_options(timeout=0.5)
        quick.admin.customers.list()
        quick.with_options(max_retries=0).admin.customers.list()  # a twin's twin keeps it
        client.with_options(timeout=httpx.Timeout(5, connect=1)).admin.customers.list()
        client.admin.customers.list()
    assert (
        seen[0] == DEFAULT_TIMEOUT.as_dict() == {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    )
    assert seen[1] == seen[2] == httpx.Timeout(0.5).as_dict()
    assert seen[3] == {"connect": 1, "read": 5, "write": 5, "pool": 5}
    assert seen[4] == seen[0]


async def test_the_async_twin_has_its_own_timeout_too() -> None:
    seen: list[dict[str, float | None]] = []
    async with AsyncClient(base_url=BASE, admin_key="k", transport=_recorder(seen), timeout=3) as client:
        await client.with_options(timeout=0.25).admin.customers.list()
        await client.admin.customers.list()
    assert seen == [httpx.Timeout(0.25).as_dict(), httpx.Timeout(3).as_dict()]


def test_a_twins_timeout_cuts_a_call_to_a_server_that_never_answers() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", free_port_block(size=1)))
        silent.listen()
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with Client(base_url=base, admin_key="k") as client:
            began = time.monotonic()
            with pytest.raises(APITimeoutError, match="ReadTimeout"):
                client.with_options(timeout=0.3, max_retries=0).admin.customers.list()
            assert time.monotonic() - began < 5


def test_none_means_no_timeout_in_with_options_too() -> None:
    """`with_options(timeout=None)` kept the client's timeout while `Client(timeout=None)` meant
    none (until 2026-12-06)."""
    seen: list[dict[str, float | None]] = []
    with Client(base_url=BASE, admin_key="k", timeout=5, transport=_recorder(seen)) as client:
        client.with_options(timeout=None).admin.customers.list()
        client.admin.customers.list()
    with Client(base_url=BASE, admin_key="k", timeout=None, transport=_recorder(seen)) as client:
        client.admin.customers.list()
    none = {"connect": None, "read": None, "write": None, "pool": None}
    assert seen == [none, httpx.Timeout(5).as_dict(), none]


@pytest.mark.parametrize("bad", [-1, 0, float("nan"), float("inf"), "5", True, httpx.Timeout(5, connect=-1)])
def test_a_timeout_that_is_no_timeout_is_refused_where_it_is_given(bad: object) -> None:
    """-1, 0, NaN, "5" were accepted until the call (2026-12-06)."""
    client = Client(base_url=BASE, admin_key="k", transport=_recorder([]))
    with client, pytest.raises(ConfigurationError, match="timeout"):
        client.with_options(timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="timeout"):
        Client(base_url=BASE, timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="timeout"):
        AsyncClient(base_url=BASE, timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="timeout"):
        AsyncClient(base_url=BASE).with_options(timeout=bad)  # type: ignore[arg-type]
