"""The journal's caller is who called: `admin` only when the admin key or a signed-in console
session authenticated the call, not for every call to an admin path.

Before, the path prefix alone decided: a wrong key, the console's sign-in with a wrong key, a
console form without a session and the demo's callback page were all journaled as `admin`.
"""

from __future__ import annotations

import json
import re

import httpx

from tests.conftest import ADMIN_KEY
from tests.console.html_text import shown
from tests.factories import Admin
from tests.observe.helpers import ADMIN, journal


async def newest_caller(client: httpx.AsyncClient, path: str, method: str = "POST") -> str | None:
    entry = next(e for e in await journal(client, path=path) if e["method"] == method)
    caller: str | None = entry["caller"]
    return caller


async def anonymous_caller(client: httpx.AsyncClient) -> str | None:
    """What the journal names as the caller of an API call without credentials."""
    assert (await client.get("/user/profile")).status_code == 401
    return await newest_caller(client, "/user/profile", "GET")


async def test_the_admin_api_is_the_admins_only_with_its_key(client: httpx.AsyncClient) -> None:
    anonymous = await anonymous_caller(client)
    assert anonymous is None
    assert (await client.get("/_localexa/customers")).status_code == 401
    assert await newest_caller(client, "/_localexa/customers", "GET") == anonymous
    wrong = {"X-Localexa-Admin-Key": "not-the-key"}
    assert (await client.get("/_localexa/clock", headers=wrong)).status_code == 401
    assert await newest_caller(client, "/_localexa/clock", "GET") == anonymous
    assert (await client.get("/_localexa/vendors", headers=ADMIN)).status_code == 200
    assert await newest_caller(client, "/_localexa/vendors", "GET") == "admin"


async def test_an_admin_bodys_client_id_is_not_the_caller(client: httpx.AsyncClient) -> None:
    # POST /_localexa/tokens names the client to mint a token for; without the key it is refused,
    # and that client did not call.
    body = {"clientId": "amzn1.application-oa2-client.someone", "scopes": ["profile"]}
    assert (await client.post("/_localexa/tokens", json=body)).status_code == 401
    assert await newest_caller(client, "/_localexa/tokens") is None


async def test_the_demo_callback_page_is_not_the_admins(client: httpx.AsyncClient) -> None:
    page = await client.get("/_localexa/demo/callback", params={"code": "abc", "state": "s"})
    assert page.status_code == 200
    assert await newest_caller(client, "/_localexa/demo/callback", "GET") == await anonymous_caller(client)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


async def _sign_in(client: httpx.AsyncClient, key: str) -> httpx.Response:
    page = await client.get("/console/login")  # not journaled (a GET of the console)
    return await client.post("/console/login", data={"admin_key": key, "csrf_token": _csrf(page.text)})


async def test_the_console_is_the_admins_once_signed_in(client: httpx.AsyncClient) -> None:
    anonymous = await anonymous_caller(client)
    # A form without a session is sent to sign in: nobody authenticated it.
    assert (await client.post("/console/clock", data={"seconds": "1"})).status_code == 303
    assert await newest_caller(client, "/console/clock") == anonymous
    # A wrong key at sign-in.
    assert (await _sign_in(client, "wrong")).status_code == 401
    assert await newest_caller(client, "/console/login") == anonymous
    # The right key signs this call in: the admin's.
    assert (await _sign_in(client, ADMIN_KEY)).status_code == 303
    assert await newest_caller(client, "/console/login") == "admin"
    # A form of the signed-in session.
    clock_page = await client.get("/console/clock")
    assert clock_page.status_code == 200
    advanced = await client.post(
        "/console/clock", data={"seconds": "1", "csrf_token": _csrf(clock_page.text)}
    )
    assert advanced.status_code == 303
    assert advanced.headers["location"] == "/console/clock"
    assert await newest_caller(client, "/console/clock") == "admin"


async def test_a_token_pasted_into_a_skill_path_is_redacted_in_the_skill_field_too(
    client: httpx.AsyncClient,
) -> None:
    """The path said `Atza|[redacted]`, the entry's `skill` the token in clear (QA of 2026-12-05)."""
    await client.get("/v1/skills/Atza|SECRETINPATH/credentials", headers={"Authorization": "Bearer x"})
    entries = (await client.get("/_localexa/journal", headers=ADMIN)).json()["entries"]
    [entry] = [e for e in entries if e["path"].startswith("/v1/skills/")]
    assert "SECRETINPATH" not in json.dumps(entry)
    assert entry["skill"] is None or "[redacted]" in entry["skill"]
    # Where a customer id or a client id goes (QA of the same evening): the same.
    await client.get("/_localexa/customers/Atza|SECRETU2", headers=ADMIN)
    await client.post(
        "/auth/o2/token", data={"grant_type": "client_credentials", "client_id": "Atza|SECRETC4"}
    )
    entries = (await client.get("/_localexa/journal", headers=ADMIN)).json()["entries"]
    assert "SECRETU2" not in json.dumps(entries)
    assert "SECRETC4" not in json.dumps(entries)
    [customer] = [e for e in entries if e["path"].startswith("/_localexa/customers/")]
    assert customer["customer"] is None or "[redacted]" in customer["customer"]


async def test_the_journal_filters_by_caller(client: httpx.AsyncClient, admin: Admin) -> None:
    """`?caller=` (added 2026-12-05): the API, the console's journal form."""
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    token = await admin.access_token(customer.user_id, ["profile"], client_id=client_id)
    profile = await client.get("/user/profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.status_code == 200
    assert (await client.get("/user/profile")).status_code == 401

    by_client = await journal(client, caller=client_id)
    assert [(e["path"], e["caller"]) for e in by_client] == [("/user/profile", client_id)]
    by_admin = await journal(client, caller="admin")
    assert by_admin
    assert {e["caller"] for e in by_admin} == {"admin"}
    assert await journal(client, caller="ADMIN") == await journal(client, caller="admin")
    assert await journal(client, caller=client_id.upper()) == []  # client ids are exact
    assert await journal(client, caller="amzn1.application-oa2-client.nobody") == []

    assert (await _sign_in(client, ADMIN_KEY)).status_code == 303
    page = await client.get("/console/journal", params={"caller": client_id})
    assert page.status_code == 200
    assert f'name="caller" value="{client_id}"' in page.text
    assert shown(page.text).count("/user/profile") == 1


async def test_a_filter_given_twice_is_a_400_naming_it(client: httpx.AsyncClient) -> None:
    """`?region=EU&region=FE` showed FE's entries without a word (QA of regions, 2026-12-05)."""
    twice = await client.get("/_localexa/journal?region=EU&region=FE&path=/v1/", headers=ADMIN)
    assert twice.status_code == 400
    assert "region" in twice.json()["message"]
    assert "path" not in twice.json()["message"]
    assert (await client.get("/_localexa/journal?region=EU", headers=ADMIN)).status_code == 200
