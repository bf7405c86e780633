"""What is retried and for how long, end to end over real sockets: `Retry-After` as an HTTP-date
(RFC 9110 §10.2.3) as well as seconds, waits beyond the budget refused at once, the budget held
in real time against the real localexa, and no call that is not safe to repeat sent twice once
the server may have acted on it (a create-only PUT among them).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any

import pytest

from localexa.client import (
    APIConnectionError,
    APIStatusError,
    AsyncClient,
    ConflictError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
)
from tests.client.live_helpers import hang_up, live, mode, ok, on_client, sequence
from tests.misbehaving_servers import Script, answer, misbehaving_server

__all__ = ["live", "mode"]


@pytest.fixture
def backend() -> str:
    """The retry budget is the client's business: the real server's database changes nothing
    here, so these tests run on SQLite only (conftest's `backend` runs a test on both)."""
    return "sqlite"


SKILL = "amzn1.ask.skill.s"
CREDENTIALS = f"/v1/skills/{SKILL}/credentials"
NETWORKS = "/credentiallocker/v2/threadNetworks"


def http_date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


def throttled(retry_after: str) -> Script:
    return answer(429, {"message": "Rate exceeded."}, headers={"Retry-After": retry_after})


async def test_retry_after_as_an_http_date_is_honoured(mode: str, sleeps: list[float]) -> None:
    async with misbehaving_server({CREDENTIALS: sequence(throttled(http_date(10)), ok())}) as server:
        await on_client(mode, server.base_url, lambda c: c.credentials.get(SKILL), auth="Atza|d")
    assert len(server.requests) == 2
    (wait,) = sleeps
    # The date has whole seconds (up to 1 s lost), and time passed since it was made: the server's
    # start and the first call, a second or two on a loaded machine (with the date 3 s ahead and
    # `1.0 < wait`, a 1.5 s stall failed it). Within the 30 s budget, so it is waited.
    assert 5.0 < wait <= 10.0


async def test_an_http_date_already_past_means_retry_at_once(mode: str, sleeps: list[float]) -> None:
    async with misbehaving_server({CREDENTIALS: sequence(throttled(http_date(-60)), ok())}) as server:
        await on_client(mode, server.base_url, lambda c: c.credentials.get(SKILL), auth="Atza|d")
    assert sleeps == [0.0]
    assert len(server.requests) == 2


async def test_an_http_date_beyond_the_budget_is_raised_without_waiting(
    mode: str, sleeps: list[float]
) -> None:
    async with misbehaving_server({CREDENTIALS: throttled(http_date(120))}) as server:
        with pytest.raises(RateLimitError) as caught:
            await on_client(mode, server.base_url, lambda c: c.credentials.get(SKILL), auth="Atza|d")
    assert caught.value.retry_after is not None
    assert 100 < caught.value.retry_after <= 120
    assert sleeps == []
    assert len(server.requests) == 1


async def test_retry_after_is_capped_by_the_budget_not_by_max_delay(mode: str, sleeps: list[float]) -> None:
    """max_delay caps the client's own backoff; the server's Retry-After is obeyed up to the
    time budget (a shorter wait would only be throttled again)."""
    policy = RetryPolicy(max_delay=2.0, max_elapsed=30.0)
    async with misbehaving_server({CREDENTIALS: sequence(throttled("12"), ok())}) as server:
        await on_client(
            mode, server.base_url, lambda c: c.credentials.get(SKILL), auth="Atza|d", retry=policy
        )
    assert sleeps == [12.0]


async def test_the_time_budget_holds_in_real_time_against_localexa(live: str, sdk: AsyncClient) -> None:
    """A 503 for ever, many retries allowed, a 2 s budget: the call gives up within it (plus one
    attempt), having retried more than once and far fewer times than allowed. (With 0.5 s, one
    slow first answer on a loaded CI machine left no time for a second attempt.)"""
    fault = await sdk.admin.faults.create(path="/_localexa/clock", method="GET", status=503)
    policy = RetryPolicy(max_retries=1000, max_elapsed=2.0, initial_delay=0.1, max_delay=0.1)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError):
        await on_client("async", live, lambda c: c.admin.clock.get(), retry=policy)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0 + 3.0
    (listed,) = [f for f in await sdk.admin.faults.list() if f.fault_id == fault.fault_id]
    assert 2 <= listed.fired < 100


NETWORK = {"extended_pan_id": "dead00beef00cafe", "network_name": "home", "network_key": "00" * 16}

#: Calls the server may act on, so not repeated once sent: (path, call).
UNSAFE: list[Any] = [
    pytest.param("/v3/events", lambda c: c.events.send({"event": {}}, token="Atza|t"), id="event"),
    pytest.param(
        f"/v1/users/~current/skills/{SKILL}/enablement",
        lambda c, host: c.customer_enablement.enable_and_link(
            SKILL, auth_code="code", redirect_uri="https://app/cb", token="Atza|c", endpoint=host
        ),
        id="enable-and-link",
    ),
    pytest.param(
        "/_localexa/customers",
        lambda c: c.admin.customers.create(name="A", email="a@example.com", password="pw"),
        id="create-customer",
    ),
    pytest.param(
        f"/v1/skills/{SKILL}/smartHome/testing/capabilityEvaluations",
        lambda c: c.evaluations.create(SKILL, test_plan_id="p", endpoint_id="e"),
        id="start-evaluation",
    ),
    pytest.param(
        NETWORKS, lambda c: c.thread_networks.put(**NETWORK, token="Atza|t"), id="put-thread-network"
    ),
]


def _bind(call: Callable[..., Any], base_url: str) -> Callable[[Any], Any]:
    if call.__code__.co_argcount == 2:
        host = base_url.split("://", 1)[1]
        return lambda c: call(c, host)
    return call


@pytest.mark.parametrize(("path", "call"), UNSAFE)
async def test_a_call_that_may_have_been_acted_on_is_not_sent_again(
    path: str, call: Callable[..., Any], mode: str, sleeps: list[float]
) -> None:
    """The server reads the request and hangs up: the answer is lost, the server may have acted.
    The call raises (sent=True) rather than go again: a second Thread network PUT answers 409, so
    a retried PUT used to turn a network it had stored into a ConflictError."""
    conflict = answer(409, {"code": "CONFLICT", "message": "The Thread network already exists."})
    async with misbehaving_server({path: sequence(hang_up(), conflict)}) as server:
        with pytest.raises(APIConnectionError) as caught:
            await on_client(mode, server.base_url, _bind(call, server.base_url), auth="Atza|d")
    assert caught.value.sent is True
    assert [r.path.split("?")[0] for r in server.requests] == [path]
    assert sleeps == []


@pytest.mark.parametrize("status", [500, 503])
async def test_a_thread_network_put_answered_5xx_is_not_sent_again(
    status: int, mode: str, sleeps: list[float]
) -> None:
    conflict = answer(409, {"code": "CONFLICT", "message": "exists"})
    failed = answer(status, {"code": "SERVER_ERROR", "message": "boom"})
    async with misbehaving_server({NETWORKS: sequence(failed, conflict)}) as server:
        with pytest.raises(APIStatusError) as caught:
            await on_client(mode, server.base_url, lambda c: c.thread_networks.put(**NETWORK, token="Atza|t"))
    assert not isinstance(caught.value, ConflictError)
    assert caught.value.status_code == status
    assert len(server.requests) == 1


async def test_a_thread_network_put_refused_by_the_throttle_is_sent_again(
    mode: str, sleeps: list[float]
) -> None:
    """A 429 is refused before anything is done: then even a create-only PUT goes again."""
    async with misbehaving_server({NETWORKS: sequence(throttled("1"), answer(200, b""))}) as server:
        await on_client(mode, server.base_url, lambda c: c.thread_networks.put(**NETWORK, token="Atza|t"))
    assert sleeps == [1.0]
    assert len(server.requests) == 2
