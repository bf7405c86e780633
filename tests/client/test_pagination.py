"""Iterators over every paged call, each reading its API's own token place (spec §2, §7)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from localexa.client import APIError, AsyncClient, Client
from tests.client.conftest import BASE, Either, FakeAmazon

SKILL = "amzn1.ask.skill.1"
TESTING = f"/v1/skills/{SKILL}/smartHome/testing"


def paged(pages: dict[str | None, tuple[list[Any], str | None]], shape: str, key: str) -> Any:
    """A handler serving `pages[nextToken] = (items, next)` in the given pagination shape."""

    def handler(request: httpx.Request) -> httpx.Response:
        items, following = pages[request.url.params.get("nextToken")]
        body: dict[str, Any] = {key: items}
        if following is not None:
            if shape == "top":
                body["nextToken"] = following
            else:
                body[shape] = {"nextToken": following, "totalCount": 5}
        return httpx.Response(200, json=body)

    return handler


async def test_thread_networks_follow_top_level_next_token(either: Either, amazon: FakeAmazon) -> None:
    pages = {
        None: (
            [
                {"extendedPanId": "e", "networkName": "a", "networkKey": "k"},
                {"extendedPanId": "e", "networkName": "b", "networkKey": "k"},
            ],
            "t1",
        ),
        "t1": ([{"extendedPanId": "e", "networkName": "c", "networkKey": "k"}], "t2"),
        "t2": ([{"extendedPanId": "e", "networkName": "d", "networkKey": "k"}], None),
    }
    amazon.on("GET", f"{BASE}/credentiallocker/v2/threadNetworks", paged(pages, "top", "threadNetworks"))
    networks = await either.run(
        lambda c: c.thread_networks.list(extended_pan_id="e", max_results=2, token="Atza|skill")
    )
    assert [n.network_name for n in networks] == ["a", "b", "c", "d"]
    sent = amazon.calls("/credentiallocker/v2/threadNetworks")
    assert [r.url.params.get("nextToken") for r in sent] == [None, "t1", "t2"]
    assert all(r.url.params["extendedPanId"] == "e" and r.url.params["maxResults"] == "2" for r in sent)
    assert all(r.headers["Authorization"] == "Bearer Atza|skill" for r in sent)


async def test_evaluation_list_follows_pagination_context_token(either: Either, amazon: FakeAmazon) -> None:
    pages = {
        None: ([{"id": "ev1", "status": "PASSED"}], "n1"),
        "n1": ([{"id": "ev2", "status": "FAILED"}], None),
    }
    amazon.on(
        "GET", f"{BASE}{TESTING}/capabilityEvaluations", paged(pages, "paginationContextToken", "evaluations")
    )
    evaluations = await either.run(lambda c: c.evaluations.list(SKILL, stage="live"), auth="Atza|dev")
    assert [(e.id, e.status) for e in evaluations] == [("ev1", "PASSED"), ("ev2", "FAILED")]
    assert all(r.url.params["stage"] == "live" for r in amazon.requests)


async def test_evaluation_results_follow_pagination_context(either: Either, amazon: FakeAmazon) -> None:
    pages: dict[str | None, tuple[list[Any], str | None]] = {
        None: ([{"name": "DevRe_1.0", "status": "PASSED"}], "r1"),
        "r1": ([{"name": "DevRe_2.0", "status": "ERROR", "error": {"code": "TEST_CASE_TIME_OUT"}}], None),
    }
    amazon.on(
        "GET",
        f"{BASE}{TESTING}/capabilityEvaluations/ev1/results",
        paged(pages, "paginationContext", "testCaseResults"),
    )
    results = await either.run(lambda c: c.evaluations.results(SKILL, "ev1", max_results=1), auth="Atza|dev")
    assert [r.name for r in results] == ["DevRe_1.0", "DevRe_2.0"]
    assert results[1].error.code == "TEST_CASE_TIME_OUT"


async def test_test_plans_follow_pagination_context(either: Either, amazon: FakeAmazon) -> None:
    pages = {
        None: ([{"id": "p1", "name": "PowerController"}], "x"),
        "x": ([{"id": "p2", "name": "BrightnessController"}], None),
    }
    amazon.on("GET", f"{BASE}{TESTING}/capabilityTestPlans", paged(pages, "paginationContext", "testPlans"))
    plans = await either.run(lambda c: c.evaluations.test_plans(SKILL), auth="Atza|dev")
    assert [p.name for p in plans] == ["PowerController", "BrightnessController"]


def test_pages_expose_tokens_and_totals(amazon: FakeAmazon) -> None:
    pages = {None: ([{"id": "p1"}], "x"), "x": ([{"id": "p2"}], None)}
    amazon.on("GET", f"{BASE}{TESTING}/capabilityTestPlans", paged(pages, "paginationContext", "testPlans"))
    with Client(base_url=BASE, auth="Atza|dev", transport=amazon.transport()) as client:
        listing = client.evaluations.test_plans(SKILL)
        assert amazon.requests == []  # lazy: nothing fetched before iteration
        first = listing.first_page()
        assert (first.next_token, first.total_count, first.has_next_page) == ("x", 5, True)
        resumed = list(client.evaluations.test_plans(SKILL, next_token="x"))
        assert [p.id for p in resumed] == ["p2"]


async def test_async_pages(amazon: FakeAmazon) -> None:
    pages = {None: ([{"id": "p1"}], "x"), "x": ([{"id": "p2"}], None)}
    amazon.on("GET", f"{BASE}{TESTING}/capabilityTestPlans", paged(pages, "paginationContext", "testPlans"))
    async with AsyncClient(base_url=BASE, auth="Atza|dev", transport=amazon.transport()) as client:
        sizes = [len(page.items) async for page in client.evaluations.test_plans(SKILL).pages()]
        first = await client.evaluations.test_plans(SKILL).first_page()
    assert sizes == [1, 1]
    assert first.items[0].id == "p1"


async def test_a_server_repeating_its_token_cannot_loop_forever(either: Either, amazon: FakeAmazon) -> None:
    amazon.on(
        "GET",
        f"{BASE}/credentiallocker/v2/threadNetworks",
        paged({None: ([], "same"), "same": ([], "same")}, "top", "threadNetworks"),
    )
    with pytest.raises(APIError, match="same nextToken"):
        await either.run(lambda c: c.thread_networks.list(extended_pan_id="e", token="t"))
    assert len(amazon.requests) == 2
