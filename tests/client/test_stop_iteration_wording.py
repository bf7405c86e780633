"""A transport or auth that raises StopIteration (a test's scripted replies that ran out) fails the
call with the same RuntimeError in both clients. Until 2026-12-07 the sync client said "the
request's transport (or auth) raised StopIteration" and the async one let Python's "coroutine
raised StopIteration" (PEP 479) through (review36b #11); a sync auth flow's StopIteration,
turned into "generator raised StopIteration" by Python, was let through by both."""

from __future__ import annotations

from collections.abc import Generator

import httpx
import pytest

from tests.client.conftest import BASE, Either, FakeAmazon, reply

MESSAGE = "the request's transport (or auth) raised StopIteration"


def out_of_replies(request: httpx.Request) -> httpx.Response:
    return next(iter([]))


class RunOutAuth(httpx.Auth):
    """An auth whose scripted tokens ran out: `next()` inside its (generator) flow."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + next(iter([]))
        yield request


async def test_a_transport_s_stop_iteration_reads_the_same_in_both(
    either: Either, amazon: FakeAmazon
) -> None:
    amazon.on("GET", f"{BASE}/_localexa/customers", out_of_replies)
    with pytest.raises(RuntimeError) as caught:
        await either.run(lambda c: c.admin.customers.list(), admin_key="k")
    assert str(caught.value) == MESSAGE
    assert isinstance(caught.value.__cause__, StopIteration)


async def test_an_auth_s_stop_iteration_reads_the_same_in_both(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("GET", f"{BASE}/v1/skills/amzn1.ask.skill.1/credentials", reply(200, {}))
    with pytest.raises(RuntimeError) as caught:
        await either.run(lambda c: c.credentials.get("amzn1.ask.skill.1"), auth=RunOutAuth())
    assert str(caught.value) == MESSAGE
    assert isinstance(caught.value.__cause__, StopIteration)
