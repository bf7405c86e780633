"""maxResults and nextToken on GET threadNetworks (core.pagination through the real routes)."""

from __future__ import annotations

import httpx
import pytest

from tests.credential_locker.conftest import Locker, make_locker, network
from tests.factories import Admin

XPAN = "dead00beef00cafe"


async def _fill(locker: Locker, count: int) -> list[str]:
    names = [f"net-{n:03d}" for n in range(count)]
    for name in names:
        assert (await locker.put(network(networkName=name))).status_code == 200
    return names


async def test_120_networks_7_a_page_each_exactly_once(locker: Locker) -> None:
    names = await _fill(locker, 120)
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params = {"extendedPanId": XPAN, "maxResults": 7}
        if token is not None:
            params["nextToken"] = token
        body = (await locker.get(**params)).json()
        pages += 1
        seen += [n["networkName"] for n in body["threadNetworks"]]
        if "nextToken" not in body:
            break
        assert len(body["threadNetworks"]) == 7
        token = body["nextToken"]
    assert pages == 18  # 17 full pages and one of 1
    assert seen == names
    assert len(body["threadNetworks"]) == 1


async def test_default_page_is_10_and_an_exact_fit_has_no_next_token(locker: Locker) -> None:
    await _fill(locker, 12)
    first = (await locker.get(extendedPanId=XPAN)).json()
    assert len(first["threadNetworks"]) == 10
    second = (await locker.get(extendedPanId=XPAN, nextToken=first["nextToken"])).json()
    assert len(second["threadNetworks"]) == 2
    assert "nextToken" not in second
    exact = (await locker.get(extendedPanId=XPAN, maxResults=12)).json()
    assert len(exact["threadNetworks"]) == 12
    assert "nextToken" not in exact


@pytest.mark.parametrize("value", ["0", "101", "-3", "ten", "2.5", ""])
async def test_max_results_out_of_range_is_400(locker: Locker, value: str) -> None:
    response = await locker.get(extendedPanId=XPAN, maxResults=value)
    assert response.status_code == 400
    assert "maxResults" in response.json()["message"]


async def test_a_long_max_results_is_shown_cut(locker: Locker) -> None:
    """The refused value is shown as a repeated field's name is (its first 64 characters, then the
    cut mark): 16,000 nines were echoed whole in the 400 (QA of 2026-12-07)."""
    response = await locker.get(extendedPanId=XPAN, maxResults="9" * 16_000)
    assert response.status_code == 400
    message = response.json()["message"]
    assert message == f"maxResults must be an integer from 1 to 100; got '{'9' * 64}'…."
    short = await locker.get(extendedPanId=XPAN, maxResults="9" * 64)
    assert short.json()["message"].endswith(f"got '{'9' * 64}'.")  # 64 characters: whole


async def test_max_results_100_is_allowed(locker: Locker) -> None:
    assert (await locker.get(extendedPanId=XPAN, maxResults=100)).status_code == 200


async def _first_token(locker: Locker) -> str:
    await _fill(locker, 3)
    token: str = (await locker.get(extendedPanId=XPAN, maxResults=1)).json()["nextToken"]
    return token


async def test_forged_and_malformed_tokens_are_400(locker: Locker) -> None:
    token = await _first_token(locker)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad, words in ((flipped, "not issued"), ("garbage!", "malformed"), ("", "malformed")):
        response = await locker.get(extendedPanId=XPAN, nextToken=bad)
        assert response.status_code == 400
        body = response.json()
        assert set(body) == {"code", "message"}
        assert "nextToken" in body["message"]
        assert words in body["message"]


async def test_a_token_for_other_filters_is_400(locker: Locker) -> None:
    token = await _first_token(locker)
    other = await locker.get(extendedPanId=XPAN, networkName="net-000", nextToken=token)
    assert other.status_code == 400
    assert "filter" in other.json()["message"]
    other_xpan = await locker.get(extendedPanId="00" * 8, nextToken=token)
    assert other_xpan.status_code == 400
    # A different page size is fine: maxResults is not part of the query.
    assert (await locker.get(extendedPanId=XPAN, maxResults=5, nextToken=token)).status_code == 200


async def test_a_token_of_another_caller_is_400(
    client: httpx.AsyncClient, admin: Admin, locker: Locker
) -> None:
    token = await _first_token(locker)
    other_customer = await make_locker(client, admin, skill=locker.skill)
    other_skill = await make_locker(client, admin, customer=locker.customer)
    for caller in (other_customer, other_skill):
        response = await caller.get(extendedPanId=XPAN, nextToken=token)
        assert response.status_code == 400
        assert "another caller" in response.json()["message"]


async def test_tokens_expire_after_24_hours(locker: Locker, admin: Admin) -> None:
    token = await _first_token(locker)
    await admin.advance_clock(24 * 3600 - 60)
    await locker.refresh_token()
    assert (await locker.get(extendedPanId=XPAN, nextToken=token)).status_code == 200
    await admin.advance_clock(61)  # 24 h + 1 s after issue
    await locker.refresh_token()
    response = await locker.get(extendedPanId=XPAN, nextToken=token)
    assert response.status_code == 400
    assert "expired" in response.json()["message"]


async def test_networks_added_while_paging_show_up_in_later_pages(locker: Locker) -> None:
    await _fill(locker, 4)
    first = (await locker.get(extendedPanId=XPAN, maxResults=3)).json()
    assert (await locker.put(network(networkName="late"))).status_code == 200
    rest = (await locker.get(extendedPanId=XPAN, maxResults=3, nextToken=first["nextToken"])).json()
    assert [n["networkName"] for n in rest["threadNetworks"]] == ["net-003", "late"]
    assert "nextToken" not in rest


async def test_later_pages_hold_only_the_callers_networks_of_that_extended_pan_id(
    client: httpx.AsyncClient, admin: Admin, locker: Locker
) -> None:
    """Rows of another customer and of another extendedPanId sit between the caller's (ids
    interleaved), so every page after the first must filter as the first does."""
    other_customer = await make_locker(client, admin, skill=locker.skill)
    other_xpan = "00" * 8
    for n in range(5):
        assert (await locker.put(network(networkName=f"mine-{n}"))).status_code == 200
        assert (await other_customer.put(network(networkName=f"theirs-{n}"))).status_code == 200
        assert (
            await locker.put(network(extendedPanId=other_xpan, networkName=f"elsewhere-{n}"))
        ).status_code == 200
    seen: list[str] = []
    token: str | None = None
    while True:
        params: dict[str, str | int] = {"extendedPanId": XPAN, "maxResults": 2}
        if token is not None:
            params["nextToken"] = token
        body = (await locker.get(**params)).json()
        seen += [n["networkName"] for n in body["threadNetworks"]]
        assert {n["extendedPanId"] for n in body["threadNetworks"]} <= {XPAN}
        token = body.get("nextToken")
        if token is None:
            break
    assert seen == [f"mine-{n}" for n in range(5)]
