"""The `scope` of a refresh (RFC 6749 §6), beside tests/lwa/test_token_endpoint.py's grants."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.factories import Admin


@pytest.mark.parametrize("scope", [" ", "  \t"])
async def test_a_blank_scope_is_invalid_scope(client: httpx.AsyncClient, admin: Admin, scope: str) -> None:
    """RFC 6749 §3.3: a scope is one scope-token at least; a blank one is refused as at /ap/oa,
    not answered with a token that holds no scope (an empty `scope=` is no scope at all)."""
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client()
    pair = await admin.tokens(client_id, customer.user_id, ["profile"])
    answer = await client.post(
        "/auth/o2/token",
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"], "scope": scope},
        auth=(client_id, secret),
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_scope"


async def test_a_half_encoded_body_with_a_raw_colon_refreshes(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """The body of `curl --data-urlencode refresh_token=$REFRESH -d scope=profile:user_id …`, as the
    README advises: the token's `|` is `%7C`, the scope's `:` raw. Such a body was read literally
    for its `:` and answered `invalid_grant` for a good refresh token (QA of 2026-12-06)."""
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client()
    pair = await admin.tokens(client_id, customer.user_id, ["profile", "profile:user_id"])
    body = (
        f"refresh_token={quote(pair['refresh_token'], safe='')}&scope=profile:user_id"
        f"&grant_type=refresh_token&client_id={client_id}&client_secret={secret}"
    )
    answer = await client.post(
        "/auth/o2/token", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["refresh_token"] == pair["refresh_token"]
    profile = await client.get(
        "/user/profile", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
    )
    assert profile.json() == {"user_id": customer.user_id}  # profile:user_id only: no name, no email


async def test_the_whole_granted_scope_may_be_asked_for_again(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """RFC 6749 §6: the scope of a refresh may be the granted one, in any order, or narrower; one
    scope more is `invalid_scope`."""
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client()
    pair = await admin.tokens(client_id, customer.user_id, ["profile", "postal_code"])
    data = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    for scope in ("profile postal_code", "postal_code profile", "profile"):
        answer = await client.post("/auth/o2/token", data=data | {"scope": scope}, auth=(client_id, secret))
        assert answer.status_code == 200, (scope, answer.text)
    wider_scope = {"scope": "profile postal_code profile:user_id"}
    wider = await client.post("/auth/o2/token", data=data | wider_scope, auth=(client_id, secret))
    assert wider.status_code == 400, wider.text
    assert wider.json()["error"] == "invalid_scope"
