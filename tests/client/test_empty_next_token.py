"""`next_token=""` (and the journal's `cursor=""`) is no token: the first page, on every listing and
on `first_page()`, on both clients. Sent as `nextToken=`, the server answers 400 "malformed"
(src/localexa/server/core/pagination.py opens any token it is given), so the client sends none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from localexa.client import AsyncClient, AsyncPager, Client, SyncPager
from tests.client.conftest import BASE
from tests.client.contract import in_thread, world
from tests.client.live_helpers import mode
from tests.client.test_contract_skill_side import THREAD, event_token

SKILL = "amzn1.ask.skill.1"
TESTING = f"/v1/skills/{SKILL}/smartHome/testing"
EPID = "dead00beef00cafe"

__all__ = ["mode"]  # the fixture

#: Every paged call given an empty start token: (path it asks, the token's query name, the call).
LISTINGS: list[tuple[str, str, Callable[[Any], Any]]] = [
    (
        "/credentiallocker/v2/threadNetworks",
        "nextToken",
        lambda c: c.thread_networks.list(extended_pan_id="e", next_token="", token="t"),
    ),
    (f"{TESTING}/capabilityTestPlans", "nextToken", lambda c: c.evaluations.test_plans(SKILL, next_token="")),
    (f"{TESTING}/capabilityEvaluations", "nextToken", lambda c: c.evaluations.list(SKILL, next_token="")),
    (
        f"{TESTING}/capabilityEvaluations/ev1/results",
        "nextToken",
        lambda c: c.evaluations.results(SKILL, "ev1", next_token=""),
    ),
    (
        "/_localexa/customers/u/skills/s/messages",
        "nextToken",
        lambda c: c.admin.directives.messages("u", "s", next_token=""),
    ),
    ("/_localexa/journal", "cursor", lambda c: c.admin.journal.list(cursor="")),
]


def _empty(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={})


@pytest.mark.parametrize(("path", "param", "listing"), LISTINGS, ids=[p for p, _, _ in LISTINGS])
async def test_an_empty_start_token_asks_for_the_first_page(
    path: str, param: str, listing: Callable[[Any], Any], mode: str
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _empty(request)

    options: dict[str, Any] = {"base_url": BASE, "auth": "Atza|dev", "admin_key": "k"}
    transport = httpx.MockTransport(handler)
    if mode == "sync":

        def blocking() -> None:
            with Client(transport=transport, **options) as client:
                pager = listing(client)
                assert isinstance(pager, SyncPager)
                list(pager)
                pager.first_page()

        await in_thread(blocking)
    else:
        async with AsyncClient(transport=transport, **options) as client:
            pager = listing(client)
            assert isinstance(pager, AsyncPager)
            _ = [item async for item in pager]
            await pager.first_page()
    assert len(seen) == 2
    assert [r.url.path for r in seen] == [path, path]
    assert [param in r.url.params for r in seen] == [False, False]


async def test_the_real_server_lists_from_the_start_given_an_empty_token(
    sdk: AsyncClient, sync_sdk: Client
) -> None:
    """Against the real app: the Credential Locker and the SMAPI test plans and evaluations, whose
    server side answers `nextToken=` with 400 "malformed"."""
    _, _, token = await event_token(sdk, [THREAD])
    for name in ("alpha", "beta"):
        await sdk.thread_networks.put(
            extended_pan_id=EPID, network_name=name, network_key="0" * 32, token=token
        )
    w = await world(sdk)
    smapi = sdk.with_options(auth=w.developer.token)
    sync_smapi = sync_sdk.with_options(auth=w.developer.token)
    skill_id = w.skill.skill_id

    async_networks = [
        n.network_name
        async for n in sdk.thread_networks.list(
            extended_pan_id=EPID, max_results=1, next_token="", token=token
        )
    ]
    first = await sdk.thread_networks.list(extended_pan_id=EPID, next_token="", token=token).first_page()
    async_plans = [p.id async for p in smapi.evaluations.test_plans(skill_id, next_token="")]
    async_runs = [e.id async for e in smapi.evaluations.list(skill_id, next_token="")]

    def blocking() -> tuple[list[str], list[str], list[str]]:
        networks = [
            n.network_name
            for n in sync_sdk.thread_networks.list(
                extended_pan_id=EPID, max_results=1, next_token="", token=token
            )
        ]
        plans = [p.id for p in sync_smapi.evaluations.test_plans(skill_id, next_token="").first_page().items]
        runs = [e.id for e in sync_smapi.evaluations.list(skill_id, next_token="")]
        return networks, plans, runs

    sync_networks, sync_plans, sync_runs = await in_thread(blocking)
    assert sorted(map(str, async_networks)) == sorted(map(str, sync_networks)) == ["alpha", "beta"]
    assert len(first.items) == 2
    assert async_plans
    assert sync_plans == async_plans[: len(sync_plans)]
    assert async_runs == sync_runs == []
