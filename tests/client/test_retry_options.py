"""Retry options are checked where they are given, as `timeout=` is: a ConfigurationError there,
not a TypeError or AttributeError at the first retryable error. Until 2026-12-07
`Client(max_retries="2")` (a value read from an environment variable) raised `TypeError: '>='
not supported …` at the first 503, instead of the API error; `Client(retry=5)` raised
AttributeError on every call; `max_retries=-1`, `1.5` and `RetryPolicy(max_elapsed=-5)` were
taken silently (1.5 made 3 attempts) (review36b #3)."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from localexa.client import AsyncClient, Client, ConfigurationError, RetryPolicy
from tests.client.conftest import BASE

BAD_MAX_RETRIES = [
    pytest.param("2", "str '2'", id="str"),
    pytest.param(-1, "-1", id="negative"),
    pytest.param(1.5, "float 1.5", id="float"),
    pytest.param(True, "bool True", id="bool"),
    pytest.param(math.inf, "float inf", id="inf"),
]
CLIENTS = [pytest.param(Client, id="sync"), pytest.param(AsyncClient, id="async")]


def _mock() -> httpx.MockTransport:
    return httpx.MockTransport(lambda _request: httpx.Response(503, json={"message": "down"}))


@pytest.mark.parametrize("kind", CLIENTS)
@pytest.mark.parametrize(("value", "shown"), BAD_MAX_RETRIES)
def test_a_bad_max_retries_is_refused_by_the_client(kind: type[Any], value: object, shown: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        kind(base_url=BASE, max_retries=value, transport=_mock())
    assert str(caught.value).startswith("max_retries must be a whole number >= 0")
    assert str(caught.value).endswith(f"not {shown}.")


@pytest.mark.parametrize("kind", CLIENTS)
@pytest.mark.parametrize(("value", "shown"), BAD_MAX_RETRIES)
def test_a_bad_max_retries_is_refused_by_with_options(kind: type[Any], value: object, shown: str) -> None:
    client = kind(base_url=BASE, transport=_mock())
    with pytest.raises(ConfigurationError, match=r"^max_retries must be a whole number >= 0"):
        client.with_options(max_retries=value)


@pytest.mark.parametrize(("value", "shown"), BAD_MAX_RETRIES)
def test_a_bad_max_retries_is_refused_by_the_policy(value: object, shown: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RetryPolicy(max_retries=value)  # type: ignore[arg-type]
    assert str(caught.value).startswith("RetryPolicy(max_retries=) must be a whole number >= 0")


@pytest.mark.parametrize("kind", CLIENTS)
@pytest.mark.parametrize("value", [5, "RetryPolicy()", {"max_retries": 1}])
def test_retry_must_be_a_policy(kind: type[Any], value: object) -> None:
    with pytest.raises(ConfigurationError, match=r"^retry must be a localexa\.client\.RetryPolicy or None"):
        kind(base_url=BASE, retry=value, transport=_mock())
    client = kind(base_url=BASE, transport=_mock())
    with pytest.raises(ConfigurationError, match=r"^retry must be a localexa\.client\.RetryPolicy or None"):
        client.with_options(retry=value)


@pytest.mark.parametrize("field", ["initial_delay", "max_delay", "max_elapsed"])
@pytest.mark.parametrize("value", [-5, math.nan, math.inf, "1", True, None])
def test_the_policy_s_seconds_are_finite_and_not_negative(field: str, value: object) -> None:
    options: dict[str, Any] = {field: value}
    with pytest.raises(ConfigurationError, match=rf"^RetryPolicy\({field}=\) must be a finite number"):
        RetryPolicy(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"statuses": {"503"}}, r"RetryPolicy\(statuses=\) must be a set of HTTP statuses", id="statuses"
        ),
        pytest.param({"statuses": 503}, r"RetryPolicy\(statuses=\) must be a set", id="statuses-int"),
        pytest.param({"safe_methods": {1}}, r"RetryPolicy\(safe_methods=\) must be a set of", id="methods"),
        pytest.param(
            {"safe_methods": "GET"}, r"RetryPolicy\(safe_methods=\) must be a set of", id="methods-str"
        ),
        pytest.param(
            {"retry_unsafe": "no"}, r"RetryPolicy\(retry_unsafe=\) must be True or False", id="unsafe"
        ),
        pytest.param(
            {"retry_connection_errors": 0}, r"RetryPolicy\(retry_connection_errors=\) must be", id="conn"
        ),
        pytest.param({"rand": 0.5}, r"RetryPolicy\(rand=\) must be callable", id="rand"),
        pytest.param({"clock": None}, r"RetryPolicy\(clock=\) must be callable", id="clock"),
    ],
)
def test_the_policy_s_other_fields_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match="^" + message):
        RetryPolicy(**options)


def test_good_values_still_work() -> None:
    policy = RetryPolicy(
        max_retries=0,
        initial_delay=0,
        max_delay=0.0,
        max_elapsed=0,
        statuses=frozenset({503}),
        safe_methods=frozenset({"GET"}),
    )
    assert policy.statuses == frozenset({503})
    assert policy.safe_methods == frozenset({"GET"})
    client = Client(base_url=BASE, retry=None, max_retries=None, transport=_mock())
    assert client.with_options(retry=policy, max_retries=3).retry.max_retries == 3
    assert client.with_options(max_retries=0).retry.max_retries == 0
