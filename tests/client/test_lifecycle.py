"""A client's lifetime and its LwaTokenAuth's host, on `Client` and `AsyncClient`:

- every call on a closed client (after `close()`/`aclose()`, its `with` block, or the close of the
  connections it shares) raises ClientClosedError, the client's own error (a RuntimeError too, as
  httpx's was), before anything is sent and before any refresh; closing twice is harmless;
- an LwaTokenAuth without `token_url` belongs to the LWA host of the first client it is given to:
  a client with another LWA host refuses it (ConfigurationError) when it is made, so no token of
  one host is ever sent to, or refreshed at, the other.
"""

from __future__ import annotations

import functools
from typing import Any

import anyio.to_thread
import httpx
import pytest

from localexa.client import (
    AsyncClient,
    AsyncPager,
    Client,
    ClientClosedError,
    ConfigurationError,
    Endpoints,
    LocalexaClientError,
    LwaTokenAuth,
    SyncPager,
)
from tests.client.conftest import BASE, FakeAmazon, reply
from tests.client.live_helpers import live, mode, on_client
from tests.client.test_parity import EVERY_CALL, LOCAL_ONLY, Recorder, _target

__all__ = ["live", "mode"]  # the fixtures

OTHER = "http://127.0.0.1:9090"
SKILL = "amzn1.ask.skill.1"
CREDS = {"skillMessagingCredentials": {"clientId": "c", "clientSecret": "s"}}
TOKEN = {"access_token": "Atza|fresh", "token_type": "bearer", "expires_in": 3600}
OPTIONS: dict[str, Any] = {"base_url": BASE, "auth": "Atza|dev", "admin_key": "k"}


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={})


def _closed_sync_outcomes(handler: Recorder) -> dict[str, BaseException | None]:
    outcomes: dict[str, BaseException | None] = {}
    client = Client(transport=httpx.MockTransport(handler), **OPTIONS)
    client.close()
    for dotted, path, kwargs in EVERY_CALL:
        if path[-1] in LOCAL_ONLY:
            continue
        try:
            result = _target(client, path)(**kwargs)
            if isinstance(result, SyncPager):
                list(result)
        except Exception as error:  # compared below
            outcomes[dotted] = error
        else:
            outcomes[dotted] = None
    return outcomes


async def _closed_async_outcomes(handler: Recorder) -> dict[str, BaseException | None]:
    outcomes: dict[str, BaseException | None] = {}
    async with AsyncClient(transport=httpx.MockTransport(handler), **OPTIONS) as client:
        pass
    for dotted, path, kwargs in EVERY_CALL:
        if path[-1] in LOCAL_ONLY:
            continue
        try:
            result = _target(client, path)(**kwargs)
            if isinstance(result, AsyncPager):
                _ = [item async for item in result]
            else:
                await result
        except Exception as error:  # compared below
            outcomes[dotted] = error
        else:
            outcomes[dotted] = None
    return outcomes


async def test_every_call_on_a_closed_client_raises_client_closed_error() -> None:
    sync_handler, async_handler = Recorder(_answer), Recorder(_answer)
    sync_outcomes = await anyio.to_thread.run_sync(functools.partial(_closed_sync_outcomes, sync_handler))
    async_outcomes = await _closed_async_outcomes(async_handler)
    assert len(sync_outcomes) == len(async_outcomes) > 45
    for outcomes in (sync_outcomes, async_outcomes):
        wrong = {n: repr(e) for n, e in outcomes.items() if type(e) is not ClientClosedError}
        assert wrong == {}
    assert sync_handler.seen == async_handler.seen == []  # nothing was sent


async def test_a_closed_client_says_so_in_its_own_error_type(mode: str, live: str) -> None:
    """Against the real server: after the `with` block, a call raises ClientClosedError (a
    LocalexaClientError, and a RuntimeError as httpx's error was); closing again changes nothing."""
    client: Any = await on_client(mode, live, lambda c: c)

    def call() -> Any:
        return client.admin.customers.list()

    if mode == "sync":
        with pytest.raises(ClientClosedError, match="client is closed") as caught:
            await anyio.to_thread.run_sync(call)
        client.close()
        client.close()
    else:
        with pytest.raises(ClientClosedError, match="client is closed") as caught:
            await call()
        await client.aclose()
        await client.aclose()
    assert isinstance(caught.value, LocalexaClientError)
    assert isinstance(caught.value, RuntimeError)
    assert caught.value.__cause__ is None


async def test_a_stale_token_is_not_refreshed_through_a_closed_client(mode: str, amazon: FakeAmazon) -> None:
    amazon.on("POST", f"{BASE}/auth/o2/token", reply(200, TOKEN))
    amazon.on("GET", f"{BASE}/v1/skills/{SKILL}/credentials", reply(200, CREDS))
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|r", access_token="Atza|old", expires_at=0.0)
    if mode == "sync":
        client = Client(base_url=BASE, auth=auth, transport=amazon.transport())
        client.close()
        with pytest.raises(ClientClosedError):
            await anyio.to_thread.run_sync(lambda: client.credentials.get(SKILL))
    else:
        async_client = AsyncClient(base_url=BASE, auth=auth, transport=amazon.transport())
        await async_client.aclose()
        with pytest.raises(ClientClosedError):
            await async_client.credentials.get(SKILL)
    assert amazon.requests == []
    assert auth.refresh_count == 0


async def test_clients_sharing_closed_connections_raise_it_too(mode: str, amazon: FakeAmazon) -> None:
    """A `with_options` twin of a closed client, and a client on an `http_client=` its owner
    closed. A twin's own close closes nothing (the testing kit relies on that)."""
    amazon.on("GET", f"{BASE}/v1/skills/{SKILL}/credentials", reply(200, CREDS))
    if mode == "sync":

        def blocking() -> None:
            with Client(base_url=BASE, auth="Atza|dev", transport=amazon.transport()) as parent:
                twin = parent.with_options(max_retries=0)
                twin.close()
                assert parent.credentials.get(SKILL).skill_messaging_credentials.client_id == "c"
            own = httpx.Client(transport=amazon.transport())
            borrower = Client(base_url=BASE, auth="Atza|dev", http_client=own)
            own.close()
            for closed in (twin, borrower):
                with pytest.raises(ClientClosedError):
                    closed.credentials.get(SKILL)

        await anyio.to_thread.run_sync(blocking)
    else:
        async with AsyncClient(base_url=BASE, auth="Atza|dev", transport=amazon.transport()) as aparent:
            atwin = aparent.with_options(max_retries=0)
            await atwin.aclose()
            assert (await aparent.credentials.get(SKILL)).skill_messaging_credentials.client_id == "c"
        aown = httpx.AsyncClient(transport=amazon.transport())
        aborrower = AsyncClient(base_url=BASE, auth="Atza|dev", http_client=aown)
        await aown.aclose()
        for aclosed in (atwin, aborrower):
            with pytest.raises(ClientClosedError):
                await aclosed.credentials.get(SKILL)
    assert len(amazon.requests) == 1


# -- one LwaTokenAuth, one LWA host ------------------------------------------------------------------


def _make(mode: str, base_url: str | None = None, **options: Any) -> Client | AsyncClient:
    cls = Client if mode == "sync" else AsyncClient
    return cls(base_url=base_url, **options)


async def _get_creds(client: Client | AsyncClient) -> None:
    if isinstance(client, Client):
        await anyio.to_thread.run_sync(lambda: client.credentials.get(SKILL))
        client.close()
    else:
        await client.credentials.get(SKILL)
        await client.aclose()


def _serve_both(amazon: FakeAmazon) -> None:
    for base in (BASE, OTHER):
        amazon.on("POST", f"{base}/auth/o2/token", lambda r: reply(200, TOKEN))
        amazon.on("GET", f"{base}/v1/skills/{SKILL}/credentials", lambda r: reply(200, CREDS))


async def test_an_auth_bound_to_one_lwa_host_is_refused_by_a_client_of_another(
    mode: str, amazon: FakeAmazon
) -> None:
    _serve_both(amazon)
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|r")
    first = _make(mode, BASE, auth=auth, transport=amazon.transport())
    with pytest.raises(ConfigurationError, match="one LwaTokenAuth per LWA host") as caught:
        _make(mode, OTHER, auth=auth, transport=amazon.transport())
    assert "127.0.0.1:8080" in str(caught.value)
    assert "127.0.0.1:9090" in str(caught.value)
    with pytest.raises(ConfigurationError):
        first.with_options(endpoints=Endpoints.local(OTHER))
    # The same host again is fine: a second client, a twin, the other client type.
    same = _make("async" if mode == "sync" else "sync", BASE, auth=auth, transport=amazon.transport())
    same_twin = first.with_options(auth=auth, max_retries=0)
    assert same_twin.endpoints.lwa == BASE
    await _get_creds(first)
    await _get_creds(same)
    hosts = [(r.method, r.url.port) for r in amazon.requests]
    assert hosts == [("POST", 8080), ("GET", 8080), ("GET", 8080)]
    assert auth.token_url == f"{BASE}/auth/o2/token"


async def test_one_lwa_host_written_two_ways_is_the_same_host(mode: str, amazon: FakeAmazon) -> None:
    """Scheme and host compare case-insensitively and a default port may be written or not (RFC
    9110 §4.2.3): the same LWA host spelled differently is accepted; a different name is not
    (localhost and 127.0.0.1 are not resolved: they may be different servers)."""
    amazon.on("POST", "http://amazon.test/auth/o2/token", lambda r: reply(200, TOKEN))
    amazon.on("GET", f"http://amazon.test/v1/skills/{SKILL}/credentials", lambda r: reply(200, CREDS))
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|r")
    first = _make(mode, "http://amazon.test", auth=auth, transport=amazon.transport())
    for spelling in ("HTTP://Amazon.TEST:80", "http://amazon.test:80/", "http://AMAZON.test/"):
        await _get_creds(_make(mode, spelling, auth=auth, transport=amazon.transport()))
    with pytest.raises(ConfigurationError, match="one LwaTokenAuth per LWA host"):
        _make(mode, "https://amazon.test", auth=auth, transport=amazon.transport())
    with pytest.raises(ConfigurationError, match="one LwaTokenAuth per LWA host"):
        _make(mode, "http://amazon.test:8080", auth=auth, transport=amazon.transport())
    await _get_creds(first)
    assert [r.method for r in amazon.requests] == ["POST", "GET", "GET", "GET", "GET"]


async def test_an_explicit_token_url_may_be_shared_by_clients_of_any_host(
    mode: str, amazon: FakeAmazon
) -> None:
    _serve_both(amazon)
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|r", token_url=f"{OTHER}/auth/o2/token")
    await _get_creds(_make(mode, BASE, auth=auth, transport=amazon.transport()))
    await _get_creds(_make(mode, OTHER, auth=auth, transport=amazon.transport()))
    assert [(r.method, r.url.port) for r in amazon.requests] == [("POST", 9090), ("GET", 8080), ("GET", 9090)]


async def test_an_auth_that_refreshed_at_amazon_is_refused_by_a_local_client(mode: str) -> None:
    """Used on its own first (a plain httpx client), it refreshed at Amazon's host: its tokens are
    Amazon's, so a localexa client refuses it rather than send them there."""
    seen: list[str] = []

    def amazon_lwa(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return reply(200, TOKEN) if request.url.path == "/auth/o2/token" else reply(200, {})

    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|r")
    async with httpx.AsyncClient(transport=httpx.MockTransport(amazon_lwa), auth=auth) as plain:
        await plain.get("https://api.amazonalexa.com/v1/alexaApiEndpoint")
    assert seen[0] == "https://api.amazon.com/auth/o2/token"
    with pytest.raises(ConfigurationError, match=r"api\.amazon\.com"):
        _make(mode, BASE, auth=auth)
    amazon_client = _make(mode, auth=auth)  # Amazon's own hosts: the same LWA host, accepted
    assert amazon_client.endpoints.lwa == "https://api.amazon.com"
    if isinstance(amazon_client, Client):
        amazon_client.close()
    else:
        await amazon_client.aclose()
