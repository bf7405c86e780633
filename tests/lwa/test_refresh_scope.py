"""The `scope` of a refresh (RFC 6749 §6), beside tests/lwa/test_token_endpoint.py's grants."""

from __future__ import annotations

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
