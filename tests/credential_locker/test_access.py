"""Who may call the Credential Locker, and whose networks they see.

Decisions (service.py): the token must be a skill messaging client's for a customer and the skill
must hold alexa::thread_network_credentials:read; LWA scopes are not checked. Networks are the
customer's: every permitted skill of that customer sees them, no other customer ever does.
"""

from __future__ import annotations

import httpx
import pytest

from tests.credential_locker.conftest import PATH, PERMISSION, Locker, make_locker, network
from tests.factories import Admin

XPAN = {"extendedPanId": "dead00beef00cafe"}


def _error(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    body: dict[str, str] = response.json()
    assert set(body) == {"code", "message"}
    return body


@pytest.mark.parametrize("method", ["GET", "PUT"])
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-token"),
        pytest.param("Bearer Atza|not-a-real-token", id="unknown-token"),
        pytest.param("Bearer ", id="empty-bearer"),
    ],
)
async def test_without_a_live_token_401(
    client: httpx.AsyncClient, method: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.request(
        method, PATH, params=XPAN, json={"threadNetwork": network()}, headers=headers
    )
    _error(response, 401)


async def test_expired_token_is_401(locker: Locker, admin: Admin) -> None:
    assert (await locker.put(network())).status_code == 200
    await admin.advance_clock(3601)
    body = _error(await locker.get(**XPAN), 401)
    assert "expired" in body["message"]
    await locker.refresh_token()
    assert (await locker.get(**XPAN)).status_code == 200


async def test_raw_token_without_bearer_prefix_is_accepted(locker: Locker) -> None:
    response = await locker.client.get(PATH, params=XPAN, headers={"Authorization": locker.token})
    assert response.status_code == 200


async def test_token_of_an_app_client_is_403(client: httpx.AsyncClient, admin: Admin) -> None:
    customer = await admin.customer()
    app_token = await admin.access_token(customer.user_id, ["profile"])
    headers = {"Authorization": f"Bearer {app_token}"}
    for response in (
        await client.get(PATH, params=XPAN, headers=headers),
        await client.put(PATH, json={"threadNetwork": network()}, headers=headers),
    ):
        assert "messaging client" in _error(response, 403)["message"]


async def test_skill_without_the_permission_is_403(client: httpx.AsyncClient, admin: Admin) -> None:
    locker = await make_locker(client, admin, permissions=["alexa::async_event:write"])
    body = _error(await locker.put(network()), 403)
    assert body["code"] == "INSUFFICIENT_PERMISSION"
    assert PERMISSION in body["message"]
    _error(await locker.get(**XPAN), 403)


async def test_auth_comes_before_validation(client: httpx.AsyncClient, admin: Admin) -> None:
    locker = await make_locker(client, admin, permissions=[])
    _error(await locker.put({"networkKey": "bad"}), 403)
    _error(await client.get(PATH), 401)


async def test_the_permission_is_checked_per_skill(client: httpx.AsyncClient, admin: Admin) -> None:
    allowed = await make_locker(client, admin)
    denied = await make_locker(client, admin, customer=allowed.customer, permissions=[])
    assert (await allowed.put(network())).status_code == 200
    _error(await denied.get(**XPAN), 403)
    assert len((await allowed.get(**XPAN)).json()["threadNetworks"]) == 1


async def test_customers_never_see_each_others_networks(client: httpx.AsyncClient, admin: Admin) -> None:
    ada = await make_locker(client, admin)
    bob = await make_locker(client, admin, skill=ada.skill)  # same skill, another customer
    assert (await ada.put(network(0))).status_code == 200
    assert (await bob.get(**XPAN)).json() == {"threadNetworks": []}
    # The same (extendedPanId, networkName) is another network for another customer: no 409.
    assert (await bob.put(network(0, networkKey="22" * 16))).status_code == 200
    ada_keys = [n["networkKey"] for n in (await ada.get(**XPAN)).json()["threadNetworks"]]
    bob_keys = [n["networkKey"] for n in (await bob.get(**XPAN)).json()["threadNetworks"]]
    assert ada_keys == ["00112233445566778899aabbccddeeff"]
    assert bob_keys == ["22" * 16]


async def test_skills_of_one_customer_share_the_customers_networks(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    first = await make_locker(client, admin)
    second = await make_locker(client, admin, customer=first.customer)
    assert first.skill.skill_id != second.skill.skill_id
    assert (await first.put(network(0))).status_code == 200
    assert (await second.get(**XPAN)).json() == {"threadNetworks": [network(0)]}
    assert (await second.put(network(0))).status_code == 409
