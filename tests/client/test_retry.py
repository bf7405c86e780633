"""Retries: 429/500/502/503/504 with exponential backoff and full jitter, Retry-After honoured, bounded in
count and in total time, and only for requests that are safe to repeat unless configured."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import httpx
import pytest

from localexa.client import (
    Client,
    InternalServerError,
    LwaTokenAuth,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
)
from tests.client.conftest import BASE, Either, FakeAmazon, reply

SKILL = "amzn1.ask.skill.1"
CREDENTIALS = f"{BASE}/v1/skills/{SKILL}/credentials"
ENABLEMENT = f"{BASE}/v1/skills/{SKILL}/stages/development/enablement"
CREDS_BODY = {"skillMessagingCredentials": {"clientId": "c", "clientSecret": "s"}}


def test_full_jitter_stays_within_the_exponential_cap() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=4.0)
    for retries_done, cap in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        waits = [policy.backoff(retries_done) for _ in range(500)]
        assert all(0.0 <= w < cap for w in waits), retries_done
        # Full jitter spreads over the whole range, not around the cap.
        assert min(waits) < cap * 0.1
        assert max(waits) > cap * 0.9


def test_jitter_uses_the_injected_source() -> None:
    values = itertools.cycle([0.0, 0.999])
    policy = RetryPolicy(initial_delay=1.0, rand=lambda: next(values))
    assert policy.backoff(2) == 0.0
    assert policy.backoff(2) == pytest.approx(3.996)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_retryable_statuses_are_retried_then_succeed(
    status: int, either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on("GET", CREDENTIALS, reply(status, {"message": "busy"}), reply(200, CREDS_BODY))
    creds = await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev")
    assert creds.skill_messaging_credentials.client_id == "c"
    assert len(amazon.calls(f"/v1/skills/{SKILL}/credentials")) == 2
    assert len(sleeps) == 1
    assert 0.0 <= sleeps[0] < RetryPolicy().initial_delay


async def test_retries_are_bounded_in_count(either: Either, amazon: FakeAmazon, sleeps: list[float]) -> None:
    amazon.on("GET", CREDENTIALS, reply(503, {"code": "UNAVAILABLE", "message": "down"}))
    with pytest.raises(ServiceUnavailableError):
        await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev")
    assert len(amazon.calls(f"/v1/skills/{SKILL}/credentials")) == 3  # 1 + default 2 retries
    assert len(sleeps) == 2
    assert sleeps[1] < 2 * RetryPolicy().initial_delay  # the second wait's cap doubled


async def test_max_retries_is_configurable(either: Either, amazon: FakeAmazon, sleeps: list[float]) -> None:
    amazon.on("GET", CREDENTIALS, reply(500, {"message": "boom"}))
    with pytest.raises(InternalServerError):
        await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev", max_retries=5)
    assert len(amazon.calls(f"/v1/skills/{SKILL}/credentials")) == 6
    assert len(sleeps) == 5


async def test_retry_after_is_honoured(either: Either, amazon: FakeAmazon, sleeps: list[float]) -> None:
    amazon.on(
        "GET",
        CREDENTIALS,
        reply(429, {"message": "slow down"}, {"Retry-After": "7"}),
        reply(200, CREDS_BODY),
    )
    await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev")
    assert sleeps == [7.0]


async def test_a_retry_after_beyond_the_time_budget_is_not_waited(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on("GET", CREDENTIALS, reply(429, {"message": "later"}, {"Retry-After": "120"}))
    with pytest.raises(RateLimitError) as caught:
        await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev")
    assert caught.value.retry_after == 120.0
    assert sleeps == []
    assert len(amazon.calls(f"/v1/skills/{SKILL}/credentials")) == 1


async def test_retries_are_bounded_in_total_time(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    # Each wait is 4 s; a 10 s budget allows two (8 s) but not a third (12 s).
    policy = RetryPolicy(max_retries=10, max_elapsed=10.0, clock=lambda: sum(sleeps))
    amazon.on("GET", CREDENTIALS, reply(503, {"message": "down"}, {"Retry-After": "4"}))
    with pytest.raises(ServiceUnavailableError):
        await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev", retry=policy)
    assert sleeps == [4.0, 4.0]


def test_the_time_budget_counts_waits_already_made() -> None:
    policy = RetryPolicy(max_retries=10, max_elapsed=10.0)
    assert policy.next_delay(retries_done=1, elapsed=5.0, safe=True, status=503, retry_after=4.0) == 4.0
    assert policy.next_delay(retries_done=2, elapsed=9.0, safe=True, status=503, retry_after=4.0) is None


@pytest.mark.parametrize(
    ("method", "url", "call"),
    [
        pytest.param("PUT", ENABLEMENT, lambda c: c.enablement.enable(SKILL), id="PUT"),
        pytest.param("DELETE", ENABLEMENT, lambda c: c.enablement.disable(SKILL), id="DELETE"),
        pytest.param("GET", ENABLEMENT, lambda c: c.enablement.get(SKILL), id="GET"),
    ],
)
async def test_safe_methods_are_retried(
    method: str, url: str, call: object, either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on(method, url, reply(500, {"message": "boom"}), reply(204))
    await either.run(call, auth="Atza|dev")  # type: ignore[arg-type]
    assert len([r for r in amazon.requests if r.method == method]) == 2


async def test_post_enablement_is_not_retried_by_default(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    url = f"{BASE}/v1/users/~current/skills/{SKILL}/enablement"
    amazon.on("POST", url, reply(503, {"message": "down"}))
    with pytest.raises(ServiceUnavailableError):
        await either.run(
            lambda c: c.customer_enablement.enable_and_link(
                SKILL, auth_code="code", redirect_uri="https://app/cb", endpoint="127.0.0.1:8080"
            ),
            auth="Atza|customer",
        )
    assert len(amazon.calls(f"/v1/users/~current/skills/{SKILL}/enablement")) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [502, 504])
async def test_a_post_is_not_repeated_after_a_gateway_error(
    status: int, either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    """A gateway's 502/504 may come after it passed the request on: an event is not sent twice."""
    amazon.on("POST", f"{BASE}/v3/events", reply(status, {"message": "gateway"}), reply(202))
    with pytest.raises(InternalServerError) as caught:
        await either.run(lambda c: c.events.send({"event": {}}, token="Atza|t"))
    assert caught.value.status_code == status
    assert len(amazon.calls("/v3/events")) == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [502, 504])
async def test_a_refresh_is_retried_after_a_gateway_error(
    status: int, either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    """`LwaTokenAuth` refreshes with the same policy: a 502/504 from LWA is retried, then the call."""
    token = {"access_token": "Atza|new", "token_type": "bearer", "expires_in": 3600}
    amazon.on("POST", f"{BASE}/auth/o2/token", reply(status, {"error": "gateway"}), reply(200, token))
    amazon.on("GET", CREDENTIALS, reply(status, {"message": "gateway"}), reply(200, CREDS_BODY))
    auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|r")
    await either.run(lambda c: c.credentials.get(SKILL), auth=auth)
    assert auth.access_token == "Atza|new"
    assert len(amazon.calls("/auth/o2/token")) == 2
    assert len(amazon.calls(f"/v1/skills/{SKILL}/credentials")) == 2
    assert len(sleeps) == 2


async def test_posts_are_retried_when_configured(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    amazon.on("POST", f"{BASE}/v3/events", reply(503, {"message": "down"}), reply(202))
    await either.run(
        lambda c: c.events.send({"event": {}}, token="Atza|t"), retry=RetryPolicy(retry_unsafe=True)
    )
    assert len(amazon.calls("/v3/events")) == 2


async def test_token_refresh_grant_is_retried(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    token = {"access_token": "Atza|new", "token_type": "bearer", "expires_in": 3600}
    amazon.on(
        "POST", f"{BASE}/auth/o2/token", reply(503, {"error": "temporarily_unavailable"}), reply(200, token)
    )
    result = await either.run(lambda c: c.lwa.refresh("Atzr|r", client_id="id", client_secret="s"))
    assert result.access_token == "Atza|new"
    assert len(amazon.calls("/auth/o2/token")) == 2


async def test_code_exchange_is_not_retried(either: Either, amazon: FakeAmazon, sleeps: list[float]) -> None:
    amazon.on("POST", f"{BASE}/auth/o2/token", reply(500, {"error": "server_error"}))
    with pytest.raises(InternalServerError) as caught:
        await either.run(lambda c: c.lwa.exchange_code("code", redirect_uri="https://a/cb", client_id="id"))
    assert caught.value.code == "server_error"
    assert len(amazon.calls("/auth/o2/token")) == 1


async def test_connection_errors_are_retried_for_safe_calls(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    amazon.on("GET", CREDENTIALS, refuse, reply(200, CREDS_BODY))
    await either.run(lambda c: c.credentials.get(SKILL), auth="Atza|dev")
    assert len(sleeps) == 1


def test_4xx_other_than_429_is_never_retried(amazon: FakeAmazon, sleeps: list[float]) -> None:
    amazon.on("GET", CREDENTIALS, reply(400, {"message": "bad"}))
    with (
        Client(base_url=BASE, auth="Atza|dev", transport=amazon.transport()) as client,
        pytest.raises(Exception, match="bad"),
    ):
        client.credentials.get(SKILL)
    assert len(amazon.requests) == 1
    assert sleeps == []


def _lost(request: httpx.Request) -> httpx.Response:
    """The request arrived, and the connection closed before any answer (the server may have acted)."""
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


Handler = Callable[[httpx.Request], httpx.Response]


def _status(code: int, body: dict[str, str]) -> Handler:
    """A fresh answer per request (an httpx.Response is read once)."""
    return lambda request: reply(code, body)


def _gone(request: httpx.Request) -> httpx.Response:
    return reply(404, {"code": "NOT_FOUND", "message": "not enabled"}, {"X-Amzn-RequestId": "rid-gone"})


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(_lost, id="answer-lost"),
        pytest.param(_status(500, {"message": "boom"}), id="500"),
        pytest.param(_status(502, {"message": "gateway"}), id="502"),
        pytest.param(_status(504, {"message": "gateway timeout"}), id="504"),
    ],
)
async def test_a_retried_delete_that_finds_its_thing_gone_is_done(
    first: Handler, either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    """The first attempt may have disabled the stage before its answer was lost: the retry's 404
    says the stage is not enabled, which is what `disable` asked for."""
    amazon.on("DELETE", ENABLEMENT, first, _gone)
    assert await either.run(lambda c: c.enablement.disable(SKILL), auth="Atza|dev") is None
    assert len(amazon.calls(f"/v1/skills/{SKILL}/stages/development/enablement")) == 2
    amazon.on("DELETE", f"{BASE}/_localexa/faults/f1", first, _gone)
    assert await either.run(lambda c: c.admin.faults.delete("f1"), admin_key="k") is None


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(None, id="first-attempt"),
        pytest.param(_refused, id="never-connected"),
        pytest.param(_status(429, {"message": "slow down"}), id="429"),
        pytest.param(_status(503, {"message": "down"}), id="503"),
    ],
)
async def test_a_delete_404_stays_an_error_when_no_attempt_can_have_deleted(
    first: Handler | None, either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    replies: list[Handler] = [_gone] if first is None else [first, _gone]
    amazon.on("DELETE", ENABLEMENT, *replies)
    with pytest.raises(NotFoundError) as caught:
        await either.run(lambda c: c.enablement.disable(SKILL), auth="Atza|dev")
    assert caught.value.request_id == "rid-gone"


async def test_a_customer_disable_404_after_a_lost_answer_stays_an_error(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    """Not for the customer's DELETE: there a 404 may be another region's answer (the region
    fallback reads it so), so it cannot tell that this call disabled the skill."""
    url = f"{BASE}/v1/users/~current/skills/{SKILL}/enablement"
    amazon.on("DELETE", url, _lost, _gone)
    with pytest.raises(NotFoundError):
        await either.run(
            lambda c: c.customer_enablement.disable(SKILL, token="Atza|c", endpoint="127.0.0.1:8080")
        )
    assert len(amazon.calls(f"/v1/users/~current/skills/{SKILL}/enablement")) == 2
