"""Bad arguments are ConfigurationErrors (also ValueErrors), raised before anything is sent; and
a transport that raises StopIteration fails the call in both clients instead of answering None."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from localexa.client import (
    AsyncClient,
    Client,
    ConfigurationError,
    Endpoints,
    LocalexaClientError,
    LwaTokenAuth,
    Region,
    generate_code_verifier,
)
from localexa.client.pkce import check_code_verifier
from tests.client.conftest import BASE, Either, FakeAmazon, reply

EU = "http://127.0.0.1:8081"


def assert_a_bad_argument(error: BaseException) -> None:
    """Caught by `except LocalexaClientError` (the client's own tree) and, as before, by `except
    ValueError`."""
    assert isinstance(error, ConfigurationError)
    assert isinstance(error, LocalexaClientError)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("make", [Client, AsyncClient])
def test_base_url_and_endpoints_together_is_a_configuration_error(make: Any) -> None:
    with pytest.raises(ConfigurationError, match="not both") as caught:
        make(base_url=BASE, endpoints=Endpoints())
    assert_a_bad_argument(caught.value)


@pytest.mark.parametrize("name", ["eu", "Eu", "EU", " eu ", Region.EU])
async def test_a_region_is_its_name_in_any_case(name: str, either: Either, amazon: FakeAmazon) -> None:
    amazon.on("POST", f"{EU}/v3/events", reply(202))
    await either.run(lambda c: c.events.send({"event": {}}, token="Atza|t", region=name))
    assert [str(r.url) for r in amazon.requests] == [f"{EU}/v3/events"]
    assert Client(base_url=BASE).endpoints.alexa(name) == EU


@pytest.mark.parametrize("name", ["europe", "", "us", 1])
async def test_another_region_is_a_configuration_error_naming_the_three(
    name: Any, either: Either, amazon: FakeAmazon
) -> None:
    with pytest.raises(ConfigurationError, match="NA, EU, FE") as caught:
        await either.run(lambda c: c.events.send({"event": {}}, token="Atza|t", region=name))
    assert_a_bad_argument(caught.value)
    assert amazon.requests == []
    with pytest.raises(ConfigurationError, match="NA, EU, FE"):
        Endpoints().alexa(name)


@pytest.mark.parametrize("entry_id", ["abc", "", "1.5", 1.5, True, None])
async def test_a_journal_id_that_is_no_whole_number_is_a_configuration_error(
    entry_id: Any, either: Either, amazon: FakeAmazon
) -> None:
    with pytest.raises(ConfigurationError, match="not a journal entry id") as caught:
        await either.run(lambda c: c.admin.journal.get(entry_id), admin_key="k")
    assert_a_bad_argument(caught.value)
    assert amazon.requests == []


async def test_a_journal_id_may_be_digits_as_text(either: Either, amazon: FakeAmazon) -> None:
    entry = {"id": 12, "method": "GET", "path": "/x", "status": 200}
    amazon.on("GET", f"{BASE}/_localexa/journal/12", reply(200, entry))
    await either.run(lambda c: c.admin.journal.get("12"), admin_key="k")
    assert [r.url.path for r in amazon.requests] == ["/_localexa/journal/12"]


def test_other_bad_arguments_are_configuration_errors_too() -> None:
    for bad in (
        lambda: LwaTokenAuth(client_id="cid"),
        lambda: generate_code_verifier(10),
        lambda: check_code_verifier("short"),
    ):
        with pytest.raises(ConfigurationError) as caught:
            bad()
        assert_a_bad_argument(caught.value)


# -- a transport that raises StopIteration ------------------------------------------------------


def out_of_replies(request: httpx.Request) -> httpx.Response:
    """A test's scripted transport with no reply left: `next()` of an exhausted iterator."""
    return next(iter([]))


def test_the_sync_client_fails_when_its_transport_raises_stop_iteration() -> None:
    """The sync runner read the transport's StopIteration as the flow's return: the call
    answered None as if it had worked."""
    with Client(base_url=BASE, admin_key="k", transport=httpx.MockTransport(out_of_replies)) as client:
        with pytest.raises(RuntimeError, match="StopIteration") as caught:
            client.admin.customers.list()
        assert isinstance(caught.value.__cause__, StopIteration)
        with pytest.raises(RuntimeError, match="StopIteration"):
            client.admin.customers.create(name="Ada", email="ada@example.com", password="pw")


async def test_the_async_client_fails_the_same_way() -> None:
    transport = httpx.MockTransport(out_of_replies)
    async with AsyncClient(base_url=BASE, admin_key="k", transport=transport) as client:
        with pytest.raises(RuntimeError, match="StopIteration") as caught:
            await client.admin.customers.list()
        assert isinstance(caught.value.__cause__, StopIteration)
