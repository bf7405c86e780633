"""Time travel and faults across two `localexa serve` processes on one PostgreSQL and one Redis
(README: Several processes behave as one; Faults).

- Every expiry of tests/observe/test_time_travel_every_expiry.py, walked with the clock moved
  through A and every check made through B: B runs on the moved clock within the documented
  bound (a re-read at most every 0.5 s), and then honours each expiry at once; no cache of B
  (token checks, pages, sessions) outlives an advance made through A.
- A token minted through B right after an advance through A lives its hour (`POST
  /_localexa/tokens` reads the shared clock before it stamps the expiry).
- A page token issued through B right after an advance through A lives its 24 hours (the page
  reads the shared clock before it stamps its `nextToken`).
- A link stored through B right after an advance through A keeps its token's lifetime (the link
  reads the shared clock before it stamps the token's expiry).
- A capability evaluation started through B right after an advance through A starts by the moved
  clock.
- A fault's `count` is one budget for both processes, spent exactly, under concurrent calls; a
  seeded fault draws the same decision for its n-th matching call whichever process serves it;
  and B answers a fault in the API's own shape, as A does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from localexa.server.observe.faults import FaultRule
from tests.enablement.helpers import account_linking, link_body, new_code
from tests.factories import Admin
from tests.lwa.browser import Browser
from tests.observe.test_time_travel_every_expiry import (
    EVENTS,
    LINKING,
    LOCKER,
    READWRITE,
    THREAD,
    XPAN,
    Sides,
    skill_side,
    walk,
)
from tests.scale.conftest import Pair
from tests.scale.processes import ServerProcess
from tests.servers import shared_tls

pytestmark = pytest.mark.slow

#: README: each process re-reads the clock and the faults at most every 0.5 s.
REFRESH = 0.5
#: What a loaded two-core machine may add to that bound before the first call that shows it.
SLACK = 1.5
FAULT_HEADER = "X-Localexa-Fault"
#: httpx keeps an idle connection 5 s, as long as the servers' `--idle-timeout`: a request sent on
#: one just as its server closed it got no answer ("Server disconnected", seen in CI). The walk
#: leaves its browsers idle for seconds, so its clients give idle connections up well before.
LIMITS = httpx.Limits(keepalive_expiry=2.0)


class RemoteBrowser(Browser):
    """The /ap/oa browser of tests/lwa/browser.py, on a real server."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30, limits=LIMITS, verify=shared_tls())


@asynccontextmanager
async def _clients(pair: Pair) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(base_url=pair.a.base_url, timeout=30, limits=LIMITS, verify=shared_tls()) as a,
        httpx.AsyncClient(base_url=pair.b.base_url, timeout=30, limits=LIMITS, verify=shared_tls()) as b,
    ):
        yield a, b


async def test_every_expiry_moved_through_one_process_is_honoured_by_the_other(pair: Pair) -> None:
    key = pair.a.admin_key
    browsers: list[Browser] = []

    def browser() -> Browser:
        made = RemoteBrowser(pair.b.base_url)
        browsers.append(made)
        return made

    async with _clients(pair) as (a, b):
        # A token B reads back shows which clock B runs on (`exp`: seconds left on B's clock).
        probe = Admin(a, key)
        probe_user = (await probe.customer(name="Probe")).user_id
        probe_client, _ = await probe.lwa_client(name="Probe")
        moved = 0.0
        waits: list[float] = []

        async def move_to(offset: float) -> None:
            nonlocal moved
            answer = await a.post(
                "/_localexa/clock", json={"advanceSeconds": offset - moved}, headers=probe.headers
            )
            assert answer.status_code == 200, answer.text
            moved = offset
            started = time.monotonic()
            minted = await probe.tokens(probe_client, probe_user, ["profile"])  # by A's clock
            fresh = minted["access_token"]
            while True:
                info = await b.get("/auth/o2/tokeninfo", params={"access_token": fresh})
                assert info.status_code == 200, info.text
                if info.json()["exp"] <= 3600:  # B's clock has caught up with A's
                    break
                assert time.monotonic() - started < REFRESH + SLACK, "B kept the clock before the advance"
                await asyncio.sleep(0.02)
            waits.append(time.monotonic() - started)

        try:
            with skill_side() as skill:
                await walk(Sides(a, b, key, browser, move_to), skill)
        finally:
            await asyncio.gather(*(made.http.aclose() for made in browsers))
    assert len(waits) == 10
    assert max(waits) < REFRESH + SLACK, waits


def _rule(fault_id: str, seed: int, probability: float) -> FaultRule:
    return FaultRule.from_row(
        {
            "id": fault_id,
            "method": None,
            "path": "/",
            "status": 503,
            "delay_ms": 0,
            "probability": probability,
        }
        | {"count": None, "retry_after": None, "customer": None, "skill": None, "region": None, "seed": seed}
    )


async def _fault(client: httpx.AsyncClient, server: ServerProcess, **body: Any) -> str:
    made = await client.post("/_localexa/faults", json=body, headers=server.admin_headers)
    assert made.status_code == 201, made.text
    fault_id: str = made.json()["faultId"]
    return fault_id


async def _listed(client: httpx.AsyncClient, server: ServerProcess, fault_id: str) -> dict[str, Any]:
    listing = await client.get("/_localexa/faults", headers=server.admin_headers)
    faults: list[dict[str, Any]] = listing.json()
    [found] = [f for f in faults if f["faultId"] == fault_id]
    return found


async def _loaded_by_both(pair: Pair, a: httpx.AsyncClient, b: httpx.AsyncClient, token: str) -> None:
    """Wait until both processes have re-read the faults (README: at most every 0.5 s) since the
    ones this test made: a canary fault made after them answers through each."""
    canary = await _fault(a, pair.a, method="GET", path="/auth/o2/tokeninfo", status=500)
    started = time.monotonic()
    for client in (a, b):
        while (await client.get("/auth/o2/tokeninfo", params={"access_token": token})).status_code != 500:
            assert time.monotonic() - started < REFRESH + SLACK, "a process kept its faults past the bound"
            await asyncio.sleep(0.02)
    await _delete(a, pair, canary)


async def _delete(client: httpx.AsyncClient, pair: Pair, fault_id: str) -> None:
    deleted = await client.delete(f"/_localexa/faults/{fault_id}", headers=pair.a.admin_headers)
    assert deleted.status_code == 204, deleted.text


async def test_a_faults_count_seed_and_shape_hold_across_both_processes(pair: Pair) -> None:
    async with _clients(pair) as (a, b):
        admin = Admin(a, pair.a.admin_key)
        customer = await admin.customer(name="Faulted")
        token = await admin.access_token(customer.user_id, ["profile"])
        headers = {"Authorization": f"Bearer {token}"}
        path = "/user/profile"  # LWA's: no rate limit to spend

        # A count of 5 across 12 concurrent calls, 6 through each process: 5 faulted in all.
        counted = await _fault(a, pair.a, path=path, status=503, count=5, customer=customer.user_id)
        await _loaded_by_both(pair, a, b, token)
        answers = await asyncio.gather(*(client.get(path, headers=headers) for client in [a, b] * 6))
        faulted = [r for r in answers if r.headers.get(FAULT_HEADER) == counted]
        assert len(faulted) == 5, [r.status_code for r in answers]
        for answer in faulted:
            assert answer.status_code == 503
            assert set(answer.json()) == {"error", "error_description"}
        assert {r.status_code for r in answers if r.headers.get(FAULT_HEADER) is None} == {200}
        listed = await _listed(b, pair.b, counted)
        assert (listed["fired"], listed["remaining"], listed["active"]) == (5, 0, False)
        await _delete(a, pair, counted)

        # A seeded probability: the n-th matching call draws the same, whichever process serves it.
        seeded = await _fault(
            b, pair.b, path=path, status=503, probability=0.5, seed=11, customer=customer.user_id
        )
        await _loaded_by_both(pair, a, b, token)
        fired = []
        for n in range(16):
            answer = await (a if n % 2 else b).get(path, headers=headers)
            fired.append(answer.headers.get(FAULT_HEADER) == seeded)
        assert fired == [_rule(seeded, 11, 0.5).draws(n) for n in range(1, 17)]
        assert 0 < sum(fired) < 16
        await _delete(a, pair, seeded)

        # The same fault answered by either process: the same shape (the event gateway's here).
        shaped = await _fault(a, pair.a, method="POST", path="/v3/events", status=429, retryAfter=3)
        await _loaded_by_both(pair, a, b, token)
        from_a, from_b = [await client.post("/v3/events", json={}) for client in (a, b)]
        await _delete(a, pair, shaped)
    for answer in (from_a, from_b):
        assert (answer.status_code, answer.headers[FAULT_HEADER], answer.headers["Retry-After"]) == (
            429,
            shaped,
            "3",
        )
        body = answer.json()
        assert set(body) == {"header", "payload"}
        assert (body["header"]["namespace"], body["payload"]["code"]) == ("System", "THROTTLING_EXCEPTION")


async def test_a_token_minted_right_after_an_advance_elsewhere_lives_its_hour(pair: Pair) -> None:
    """`POST /_localexa/tokens` answers `expires_in: 3600`. Minted through B moments after an
    advance through A (B had re-read the clock just before it: its copy was up to 0.5 s stale), the
    token was stamped by B's clock before the advance, so it had expired on arrival (a test suite
    that moves the clock and then mints a token, behind a load balancer). The admin call now reads
    the shared clock before it stamps the expiry."""
    async with _clients(pair) as (a, b):
        admin_a, admin_b = Admin(a, pair.a.admin_key), Admin(b, pair.b.admin_key)
        user_id = (await admin_a.customer(name="Minted")).user_id
        client_id, _ = await admin_a.lwa_client(name="Minter")
        assert (await b.get("/_localexa/clock", headers=admin_b.headers)).status_code == 200  # B re-reads now
        await admin_a.advance_clock(2 * 3600)
        minted = await admin_b.tokens(client_id, user_id, ["profile"])
        assert minted["expires_in"] == 3600
        for client in (a, b):
            info = await client.get("/auth/o2/tokeninfo", params={"access_token": minted["access_token"]})
            assert info.status_code == 200, info.text  # was 400: "The access token has expired."
            assert 3600 - 60 < info.json()["exp"] <= 3600


async def test_a_token_refreshed_right_after_an_advance_elsewhere_lives_its_hour(pair: Pair) -> None:
    """The token endpoint stamps what it issues by the shared clock as it is now: refreshed through
    B moments after an advance through A, the access token had expired on arrival (B's copy of the
    clock was up to 0.5 s stale)."""
    async with _clients(pair) as (a, b):
        admin_a, admin_b = Admin(a, pair.a.admin_key), Admin(b, pair.b.admin_key)
        user_id = (await admin_a.customer(name="Refreshed")).user_id
        client_id, secret = await admin_a.lwa_client(name="Refresher")
        pair_tokens = await admin_a.tokens(client_id, user_id, ["profile"])
        assert (await b.get("/_localexa/clock", headers=admin_b.headers)).status_code == 200  # B re-reads now
        await admin_a.advance_clock(2 * 3600)
        refreshed = await b.post(
            "/auth/o2/token",
            data={"grant_type": "refresh_token", "refresh_token": pair_tokens["refresh_token"]},
            auth=(client_id, secret),
        )
        assert refreshed.status_code == 200, refreshed.text
        for client in (a, b):
            info = await client.get(
                "/auth/o2/tokeninfo", params={"access_token": refreshed.json()["access_token"]}
            )
            assert info.status_code == 200, info.text  # was 400: "The access token has expired."
            assert 3600 - 60 < info.json()["exp"] <= 3600


async def _stale_b_then_advance(
    a: httpx.AsyncClient, b: httpx.AsyncClient, pair: Pair, seconds: float
) -> None:
    """B re-reads the clock now, then A moves it: B's copy is stale for up to 0.5 s."""
    headers = pair.b.admin_headers
    assert (await b.get("/_localexa/clock", headers=headers)).status_code == 200
    await Admin(a, pair.a.admin_key).advance_clock(seconds)


def _next_token(body: dict[str, Any]) -> str:
    """A page's `nextToken`: at the top (Credential Locker) or in `paginationContext` (SMAPI)."""
    token: str = body["nextToken"] if "nextToken" in body else body["paginationContext"]["nextToken"]
    return token


async def test_a_page_token_issued_right_after_an_advance_elsewhere_lives_its_day(pair: Pair) -> None:
    """Page tokens live 24 hours by localexa's clock. Issued through B moments after an advance of
    two days through A, a Credential Locker `nextToken` (and a test plans one) was stamped by B's
    clock before the advance, so the next page, asked a moment later, said "nextToken has
    expired (page tokens live 24 hours)." A page token is now stamped by the shared clock as it is."""
    async with _clients(pair) as (a, b):
        admin = Admin(a, pair.a.admin_key)
        dev = await admin.customer(name="Pager")
        skill = await admin.skill(dev, permissions=[THREAD, EVENTS])
        customer = await admin.customer(name="Paged")

        console, _ = await admin.lwa_client(name="Console")

        async def bearer(user_id: str, scope: str, client_id: str) -> dict[str, str]:
            """One call: B's copy of the clock is stale for 0.5 s at most after an advance."""
            return {
                "Authorization": "Bearer " + (await admin.tokens(client_id, user_id, [scope]))["access_token"]
            }

        locker = await bearer(customer.user_id, EVENTS, skill.messaging_client_id)
        for name in ("Home", "Cabin"):
            network = {
                "extendedPanId": XPAN,
                "networkName": name,
                "networkKey": "00112233445566778899aabbccddeeff",
                "pskc": "445f2b5ca6f2a93a55ce570a70efeecb",
                "panId": "1234",
                "channelNumber": 15,
            }
            put = await a.put(LOCKER, json={"threadNetwork": network}, headers=locker)
            assert put.status_code in (200, 204), put.text
        plans = f"/v1/skills/{skill.skill_id}/smartHome/testing/capabilityTestPlans"
        for path, query, scope, client_id in (
            (LOCKER, {"extendedPanId": XPAN}, EVENTS, skill.messaging_client_id),
            (plans, {}, READWRITE, console),
        ):
            user_id = customer.user_id if path == LOCKER else dev.user_id
            await _stale_b_then_advance(a, b, pair, 2 * 86400)
            headers = await bearer(user_id, scope, client_id)  # after the advance (the old one is swept)
            first = await b.get(path, params=query | {"maxResults": "1"}, headers=headers)
            assert first.status_code == 200, first.text
            for client in (a, b):
                assert (await client.get("/_localexa/clock", headers=pair.b.admin_headers)).status_code == 200
                second = await client.get(
                    path,
                    params=query | {"maxResults": "1", "nextToken": _next_token(first.json())},
                    headers=headers,
                )
                assert second.status_code == 200, (path, second.text)  # was 400: "nextToken has expired"


async def test_a_link_stored_right_after_an_advance_elsewhere_keeps_its_tokens_lifetime(pair: Pair) -> None:
    """The link's token lives its `expires_in` (3600 s here) by localexa's clock. Linked through B
    moments after an advance through A, its expiry was stamped by B's clock before the advance: the
    token was taken for expired that much early, and a directive 20 minutes later refreshed a
    token with 40 minutes left."""
    async with _clients(pair) as (a, b):
        admin = Admin(a, pair.a.admin_key)
        with skill_side() as side:
            made = await admin.skill(
                await admin.customer(name="Linker"),
                endpoint=f"{side.url}/skill",
                permissions=[EVENTS],
                account_linking=account_linking(side.tokens),
            )
            customer = await admin.customer(name="Linked")
            app_token = await admin.access_token(customer.user_id, ["profile", LINKING])
            await _stale_b_then_advance(a, b, pair, 3000)
            linked = await b.post(
                f"/v1/users/~current/skills/{made.skill_id}/enablement",
                json=link_body(new_code()),
                headers={"Authorization": f"Bearer {app_token}"},
            )
            assert linked.status_code == 201, linked.text
            links = f"/_localexa/customers/{customer.user_id}/skills/{made.skill_id}"
            followed = await a.get(f"{links}/endpoints", params={"waitSeconds": 10}, headers=admin.headers)
            assert followed.json()["acceptGrant"]["status"] == "SUCCEEDED", followed.text
            refreshed = side.refreshes()
            await admin.advance_clock(1200)
            assert (await b.get("/_localexa/clock", headers=pair.b.admin_headers)).status_code == 200
            body = {"userId": customer.user_id, "skillId": made.skill_id, "endpointId": "light-1"}
            sent = await b.post(
                "/_localexa/directives",
                json=body | {"namespace": "Alexa", "name": "ReportState"},
                headers=pair.b.admin_headers,
            )
            assert sent.status_code == 200, sent.text
            assert side.refreshes() == refreshed, "the link's token was refreshed 40 minutes early"


async def test_a_run_started_right_after_an_advance_elsewhere_starts_by_the_moved_clock(pair: Pair) -> None:
    """A capability evaluation's `startTimestamp` is localexa's clock when it was started. Started
    through B moments after an advance of a day through A, it was stamped by B's clock before the
    advance: a day before the time the advance answered, so `startTimestampFrom` that time left it
    out of the list."""
    async with _clients(pair) as (a, b):
        admin = Admin(a, pair.a.admin_key)
        dev = await admin.customer(name="Evaluator")
        skill = await admin.skill(dev, permissions=[EVENTS])
        console, _ = await admin.lwa_client(name="Console")
        runs = f"/v1/skills/{skill.skill_id}/smartHome/testing/capabilityEvaluations"
        await _stale_b_then_advance(a, b, pair, 86400)
        moved_to = await admin.advance_clock(0)  # A's clock, after the advance
        token = (await admin.tokens(console, dev.user_id, [READWRITE]))["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = {
            "capabilityTestPlan": {"id": "x"},
            "endpoint": {"endpointId": "porch"},
            "stage": "development",
        }
        started = await b.post(runs, json=body, headers=headers)
        assert started.status_code == 200, started.text
        listed = await a.get(
            runs, params={"stage": "development", "startTimestampFrom": moved_to}, headers=headers
        )
        assert listed.status_code == 200, listed.text
        assert [run["id"] for run in listed.json()["evaluations"]] == [started.json()["id"]]  # was []
