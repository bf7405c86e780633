"""A token-endpoint parameter whose name has white space around it (`&+client_secret=`, `code%20=`,
`code_verifier%09=`) is read as that parameter (lwa/forms.py strips names: a hand-written
`a=1 & b=2` body), and so it is redacted in the journal as that parameter: the journal compared
the name as sent, and a client secret, a code and a PKCE verifier showed in clear there, in the
console and in the journal's file (review of 2026-12-07)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN_KEY
from tests.factories import Admin, Customer
from tests.lwa.browser import Browser, pkce_pair

FORM = {"content-type": "application/x-www-form-urlencoded"}
CALLBACK = "https%3A%2F%2Fapp.example.com%2Fcb"


async def _journal_text(client: httpx.AsyncClient) -> str:
    answer = await client.get(
        "/_localexa/journal", params={"path": "/auth/o2/token"}, headers={"X-Localexa-Admin-Key": ADMIN_KEY}
    )
    assert answer.status_code == 200, answer.text
    return answer.text


@pytest.mark.parametrize("padded", ["+client_secret", "client_secret%20", "%09client_secret"])
async def test_a_padded_client_secret_is_redacted(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer, padded: str
) -> None:
    client_id, secret = await admin.lwa_client()
    code = await browser.code_for(client_id, ada.email, ada.password)
    body = (
        f"grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}"
        f"&client_id={client_id}&{padded}={secret}"
    )

    answer = await client.post("/auth/o2/token", content=body, headers=FORM)

    assert answer.status_code == 200, answer.text  # read as the client secret
    assert secret not in await _journal_text(client)


async def test_a_padded_code_and_verifier_are_redacted(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer
) -> None:
    client_id, _ = await admin.lwa_client()
    verifier, challenge = pkce_pair()
    code = await browser.code_for(
        client_id, ada.email, ada.password, code_challenge=challenge, code_challenge_method="S256"
    )
    body = (
        f"grant_type=authorization_code&code%20={code}&redirect_uri={CALLBACK}"
        f"&client_id={client_id}&code_verifier%09={verifier}"
    )

    answer = await client.post("/auth/o2/token", content=body, headers=FORM)

    assert answer.status_code == 200, answer.text
    text = await _journal_text(client)
    assert code not in text
    assert verifier not in text
