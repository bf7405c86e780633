"""The token endpoint refuses escapes that are not UTF-8 (`%ff`) with invalid_request, as the
Credential Locker refuses them: decoded with replacement, `grant_type=%ff` was answered "The
grant_type '\\ufffd' is not supported", quoting a character the client never sent (spec QA L5)."""

from __future__ import annotations

import base64

import httpx

from tests.factories import Admin

TOKEN = "/auth/o2/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_a_value_that_is_not_utf8_is_invalid_request(client: httpx.AsyncClient, admin: Admin) -> None:
    client_id, secret = await admin.lwa_client()
    for body in (
        f"grant_type=%ff&client_id={client_id}&client_secret={secret}",
        f"grant_type=refresh_token&refresh_token=Atzr%7C%ff&client_id={client_id}&client_secret={secret}",
        f"grant_type=client_credentials&client_id=%C3%28&client_secret={secret}",
    ):
        response = await client.post(TOKEN, content=body, headers=FORM)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_request", response.text
        assert "UTF-8" in response.json()["error_description"]
        assert "\ufffd" not in response.text
        assert "U+FFFD" not in response.text
        assert response.headers["Cache-Control"] == "no-store"


async def test_an_unknown_parameter_that_is_not_utf8_is_still_ignored(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """RFC 6749 §3.2: unrecognized parameters are ignored, whatever bytes they hold."""
    client_id, secret = await admin.lwa_client()
    body = f"grant_type=x&client_id={client_id}&client_secret={secret}&extra=%ff&%fe=1"
    response = await client.post(TOKEN, content=body, headers=FORM)
    assert response.json()["error"] == "unsupported_grant_type", response.text


async def test_basic_credentials_that_are_not_utf8_are_invalid_client(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    client_id, secret = await admin.lwa_client()
    basic = base64.b64encode(f"{client_id}%ff:{secret}".encode()).decode()
    response = await client.post(
        TOKEN, content="grant_type=client_credentials", headers={**FORM, "Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert "UTF-8" in response.json()["error_description"]
