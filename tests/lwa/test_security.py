"""Security audit of Login with Amazon: redirect_uri matching (RFC 6749 §3.1.2, §4.1.2.1, §10.6),
page and token headers (§5.1, clickjacking), codes and PKCE (§4.1.2, RFC 7636 §4.1), and the
sign-in's rate limit."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from localexa.server.core.rate_limit import WindowLimiter
from tests.factories import Admin, Customer
from tests.lwa.browser import (
    BASE_URL,
    REDIRECT_URI,
    Browser,
    authorize_url,
    form_for,
    parse_forms,
    pkce_pair,
)

TOKEN = "/auth/o2/token"

#: Near misses of REDIRECT_URI (https://app.example.com/cb): none may be redirected to.
NEAR_MISSES = [
    pytest.param("https://app.example.com/cb/", id="trailing-slash"),
    pytest.param("https://app.example.com/cbx", id="prefix"),
    pytest.param("https://app.example.com/cb/../evil", id="dot-segments"),
    pytest.param("https://app.example.com/c", id="substring"),
    pytest.param("HTTPS://APP.EXAMPLE.COM/cb", id="case"),
    pytest.param("https://app.example.com/CB", id="path-case"),
    pytest.param("https://app.example.com/cb?x=1", id="extra-query"),
    pytest.param("https://app.example.com/cb?", id="empty-query"),
    pytest.param("https://app.example.com/cb#frag", id="fragment"),
    pytest.param("https://app.example.com/%63b", id="percent-encoded"),
    pytest.param("https://app.example.com@evil.example.com/cb", id="userinfo-host"),
    pytest.param("https://evil@app.example.com/cb", id="userinfo"),
    pytest.param("https://app.example.com.evil.example.com/cb", id="host-suffix"),
    pytest.param("https://app.example.com:443/cb", id="default-port"),
    pytest.param("http://app.example.com/cb", id="scheme"),
    pytest.param(" https://app.example.com/cb", id="leading-space"),
    pytest.param("https://app.example.com/cb ", id="trailing-space"),
    pytest.param("https://app.example.com/cb\t", id="trailing-tab"),
    pytest.param("//app.example.com/cb", id="scheme-relative"),
]


@pytest.mark.parametrize("redirect_uri", NEAR_MISSES)
async def test_authorize_never_redirects_to_a_near_miss(
    admin: Admin, browser: Browser, redirect_uri: str
) -> None:
    client_id, _ = await admin.lwa_client()
    for extra in ({}, {"response_type": "token"}, {"scope": "nope"}):  # errors that would redirect
        response = await browser.get(authorize_url(client_id, redirect_uri=redirect_uri, **extra))
        assert response.status_code == 400, response.text
        assert "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html")
        assert "not registered" in response.text


@pytest.mark.parametrize(
    "stored", ["javascript://x/%0aalert(document.domain)", "/x://y", " https://a.example/cb"]
)
async def test_a_stored_redirect_uri_that_breaks_todays_rules_is_never_sent_to(
    app: FastAPI, admin: Admin, browser: Browser, stored: str
) -> None:
    """Registered before the rules (a restored snapshot, an older data dir): /ap/oa redirected
    there, an error redirect included (QA of 2026-12-05). It is the error page now."""
    client_id, _ = await admin.lwa_client()
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE lwa_clients SET redirect_uris = :uris WHERE client_id = :id"),
            {"uris": json.dumps([REDIRECT_URI, stored]), "id": client_id},
        )
    for extra in ({}, {"scope": "nope"}):
        response = await browser.get(authorize_url(client_id, redirect_uri=stored, **extra))
        assert response.status_code == 400, response.text
        assert "location" not in response.headers
        assert "absolute URI" in response.text
    assert (await browser.get(authorize_url(client_id))).status_code == 200  # the good one still works


@pytest.mark.parametrize("redirect_uri", NEAR_MISSES)
async def test_token_refuses_a_near_miss_redirect_uri(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer, redirect_uri: str
) -> None:
    client_id, secret = await admin.lwa_client()
    code = await browser.code_for(client_id, ada.email, ada.password)
    data = code_grant(code, client_id, secret, redirect_uri)
    response = await client.post(TOKEN, data=data)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"
    # the failed attempt did not use the code up, and the exact URI still works
    ok = await client.post(TOKEN, data={**data, "redirect_uri": REDIRECT_URI})
    assert ok.status_code == 200, ok.text


async def test_token_redirect_uri_must_be_the_one_used_at_authorize(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer
) -> None:
    """Two registered URIs: the code is bound to the one it was issued for."""
    other = "https://app.example.com/other"
    client_id, secret = await admin.lwa_client(redirect_uris=[REDIRECT_URI, other])
    code = await browser.code_for(client_id, ada.email, ada.password)
    data = {"grant_type": "authorization_code", "code": code, "client_id": client_id, "client_secret": secret}
    wrong = await client.post(TOKEN, data={**data, "redirect_uri": other})
    assert wrong.json()["error"] == "invalid_grant"
    missing = await client.post(TOKEN, data=data)
    assert missing.json()["error"] == "invalid_request"


SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def code_grant(code: str, client_id: str, secret: str, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    """The token endpoint's form for an authorization code, client secret in the body."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret": secret,
    }


def assert_page_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_every_page_cannot_be_framed_cached_or_leak_its_address(
    admin: Admin, browser: Browser, ada: Customer, client: httpx.AsyncClient
) -> None:
    client_id, _ = await admin.lwa_client()
    signin = await browser.get(authorize_url(client_id))
    assert_page_headers(signin)
    wrong = await browser.submit(signin, "signin", fill={"email": ada.email, "password": "nope"})
    assert_page_headers(wrong)
    consent = await browser.submit(wrong, "signin", fill={"email": ada.email, "password": ada.password})
    assert form_for(consent.text, "consent")
    assert_page_headers(consent)
    redirect = await browser.submit(consent, "consent", button="allow")
    assert redirect.status_code == 302
    assert redirect.headers["Cache-Control"] == "no-store"
    assert redirect.headers["Referrer-Policy"] == "no-referrer"
    assert_page_headers(await browser.get("/ap/oa?client_id=nobody"))  # the error page
    assert_page_headers(await client.get("/ap/nowhere"))  # core's error page under /ap/
    assert_page_headers(await client.put("/ap/oa"))  # 405


async def test_token_answers_are_never_cached(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer
) -> None:
    client_id, secret = await admin.lwa_client()
    code = await browser.code_for(client_id, ada.email, ada.password)
    data = code_grant(code, client_id, secret)
    ok = await client.post(TOKEN, data=data)
    assert ok.status_code == 200
    replay = await client.post(TOKEN, data=data)
    unauthenticated = await client.post(TOKEN, data={**data, "client_secret": "wrong"})
    info = await client.get("/auth/o2/tokeninfo", params={"access_token": ok.json()["access_token"]})
    bad_grant = await client.post(TOKEN, data={"grant_type": "x"})
    no_token = await client.get("/auth/o2/tokeninfo")
    no_profile = await client.get("/user/profile")
    for response in (ok, replay, unauthenticated, info, bad_grant, no_token, no_profile):
        assert response.headers["Cache-Control"] == "no-store", response.text
        # RFC 6749 §5.1, for HTTP/1.0 caches: the errors too, as the successes (spec QA L3).
        assert response.headers["Pragma"] == "no-cache", response.text


# -- codes and PKCE -----------------------------------------------------------------------------


async def test_s256_code_cannot_be_redeemed_with_the_challenge_as_a_plain_verifier(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer
) -> None:
    """No downgrade: the method is the one of the authorization request, never the client's."""
    client_id, secret = await admin.lwa_client()
    verifier, challenge = pkce_pair("S256")
    code = await browser.code_for(
        client_id, ada.email, ada.password, code_challenge=challenge, code_challenge_method="S256"
    )
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    for attempt in (
        {"code_verifier": challenge},
        {"code_verifier": challenge, "code_challenge_method": "plain"},
        {"code_verifier": verifier, "code_challenge_method": "plain", "code_challenge": verifier},
    ):
        if attempt["code_verifier"] == verifier:
            continue  # the right verifier is right whatever else is sent; checked last
        response = await client.post(TOKEN, data={**base, **attempt, "client_id": client_id})
        assert response.json()["error"] == "invalid_grant", response.text
    no_verifier = await client.post(TOKEN, data={**base, "client_id": client_id, "client_secret": secret})
    assert no_verifier.json()["error"] == "invalid_grant"
    ok = await client.post(TOKEN, data={**base, "client_id": client_id, "code_verifier": verifier})
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    "verifier",
    [
        pytest.param("a" * 42, id="42-chars"),
        pytest.param("a" * 129, id="129-chars"),
        pytest.param("a" * 42 + "+", id="plus"),
        pytest.param("a" * 42 + "/", id="slash"),
        pytest.param("a" * 42 + "=", id="equals"),
        pytest.param("a" * 42 + " ", id="space"),
        pytest.param("a" * 42 + "é", id="non-ascii"),
    ],
)
async def test_plain_verifier_must_be_43_to_128_unreserved_characters(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer, verifier: str
) -> None:
    """RFC 7636 §4.1, at both ends: a malformed challenge is refused at /ap/oa, and a malformed
    verifier never matches at the token endpoint (even when it equals the stored challenge)."""
    client_id, _ = await admin.lwa_client()
    refused = await browser.get(
        authorize_url(client_id, code_challenge=verifier, code_challenge_method="plain")
    )
    assert refused.status_code == 302
    assert "error=invalid_request" in refused.headers["location"]
    good = "a" * 43
    code = await browser.code_for(client_id, ada.email, ada.password, code_challenge=good)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    assert (await client.post(TOKEN, data=data)).json()["error"] == "invalid_grant"


async def test_a_plain_verifier_is_compared_case_sensitively(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer
) -> None:
    """RFC 7636 §4.6: `plain` compares the verifier with the challenge as sent; one that differs
    only in letter case (each letter's case a guess fewer to make) is no match."""
    client_id, _ = await admin.lwa_client()
    challenge = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-._~xYz"
    code = await browser.code_for(client_id, ada.email, ada.password, code_challenge=challenge)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": client_id,
    }
    for wrong in (challenge.lower(), challenge.upper(), challenge.swapcase()):
        answer = await client.post(TOKEN, data=data | {"code_verifier": wrong})
        assert answer.json()["error"] == "invalid_grant", answer.text
    ok = await client.post(TOKEN, data=data | {"code_verifier": challenge})
    assert ok.status_code == 200, ok.text


async def test_replayed_code_revokes_access_and_refresh_tokens(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer
) -> None:
    client_id, secret = await admin.lwa_client()
    code = await browser.code_for(client_id, ada.email, ada.password)
    data = code_grant(code, client_id, secret)
    first = (await client.post(TOKEN, data=data)).json()
    # a refreshed access token belongs to the same grant
    refreshed = (
        await client.post(
            TOKEN,
            data={
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "client_id": client_id,
                "client_secret": secret,
            },
        )
    ).json()
    replay = await client.post(TOKEN, data=data)
    assert replay.json()["error"] == "invalid_grant"
    for token in (first["access_token"], refreshed["access_token"]):
        profile = await client.get("/user/profile", headers={"Authorization": f"Bearer {token}"})
        assert profile.status_code == 401
    again = await client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert again.json()["error"] == "invalid_grant"


async def test_replay_by_another_client_does_not_revoke(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer
) -> None:
    """Only the code's own client can trigger the replay revocation (it proved itself first)."""
    client_id, secret = await admin.lwa_client()
    other_id, other_secret = await admin.lwa_client(name="Other")
    code = await browser.code_for(client_id, ada.email, ada.password)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    first = (await client.post(TOKEN, data={**data, "client_id": client_id, "client_secret": secret})).json()
    stolen = await client.post(TOKEN, data={**data, "client_id": other_id, "client_secret": other_secret})
    assert stolen.json()["error"] == "invalid_grant"
    wrong_secret = await client.post(TOKEN, data={**data, "client_id": client_id, "client_secret": "x"})
    assert wrong_secret.status_code == 401
    profile = await client.get("/user/profile", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert profile.status_code == 200


# -- sign-in rate limit -------------------------------------------------------------------------


async def test_sign_in_attempts_are_rate_limited(
    app: FastAPI, admin: Admin, browser: Browser, ada: Customer
) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("3/minute", None)
    client_id, _ = await admin.lwa_client()
    page = await browser.get(authorize_url(client_id))
    for _ in range(3):
        page = await browser.submit(page, "signin", fill={"email": ada.email, "password": "guess"})
        assert page.status_code == 200
        assert "incorrect" in page.text
    limited = await browser.submit(page, "signin", fill={"email": ada.email, "password": ada.password})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["content-type"].startswith("text/html")
    assert "location" not in limited.headers
    assert "Too many sign-in attempts" in limited.text
    assert form_for(limited.text, "signin")  # the page stays usable; no consent form
    assert "consent" not in [f.value("action") for f in parse_forms(limited.text)[1]]
    assert_page_headers(limited)


def browser_at(app: FastAPI, address: str) -> Browser:
    """A browser whose requests come from `address`."""
    browser = Browser(app)
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    browser.http = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
    return browser


async def test_sign_in_budget_is_per_account_across_addresses(
    app: FastAPI, admin: Admin, ada: Customer
) -> None:
    """Guesses at one account from many addresses share that account's budget."""
    app.state.rate_limiter = WindowLimiter.from_settings("2/minute", None)
    client_id, _ = await admin.lwa_client()
    statuses = []
    for n in range(3):
        async with browser_at(app, f"198.51.100.{n + 1}") as someone:
            page = await someone.get(authorize_url(client_id))
            answer = await someone.submit(
                page, "signin", fill={"email": f" {ada.email.upper()}", "password": "x"}
            )
            statuses.append(answer.status_code)
    assert statuses == [200, 200, 429]
    # another account and another address are not held back
    other = await admin.customer(name="Other")
    async with browser_at(app, "198.51.100.9") as someone:
        page = await someone.get(authorize_url(client_id))
        answer = await someone.submit(page, "signin", fill={"email": other.email, "password": other.password})
        assert answer.status_code == 200
        assert form_for(answer.text, "consent")


async def test_sign_in_budget_is_per_address_across_accounts(app: FastAPI, admin: Admin) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("2/minute", None)
    client_id, _ = await admin.lwa_client()
    statuses = []
    async with browser_at(app, "203.0.113.7") as someone:
        page = await someone.get(authorize_url(client_id))
        for n in range(3):
            page = await someone.submit(page, "signin", fill={"email": f"u{n}@example.com", "password": "x"})
            statuses.append(page.status_code)
    assert statuses == [200, 200, 429]


async def test_attempts_an_address_may_no_longer_make_spend_no_accounts_budget(
    app: FastAPI, admin: Admin, ada: Customer
) -> None:
    """Once an address's budget is spent its attempts check no password, and count against no
    account: one address kept any account it named locked for everyone, though no password of it
    was tried (review of 2026-12-07)."""
    app.state.rate_limiter = WindowLimiter.from_settings("2/minute", None)
    client_id, _ = await admin.lwa_client()
    async with browser_at(app, "203.0.113.7") as someone:
        page = await someone.get(authorize_url(client_id))
        statuses = []
        for email in ("u0@example.com", "u1@example.com", ada.email, ada.email, ada.email):
            page = await someone.submit(page, "signin", fill={"email": email, "password": "x"})
            statuses.append(page.status_code)
    assert statuses == [200, 200, 429, 429, 429]
    async with browser_at(app, "198.51.100.4") as owner:  # Ada herself, elsewhere
        page = await owner.get(authorize_url(client_id))
        answer = await owner.submit(page, "signin", fill={"email": ada.email, "password": ada.password})
    assert answer.status_code == 200
    assert form_for(answer.text, "consent")


async def test_other_page_actions_are_not_counted(app: FastAPI, admin: Admin, browser: Browser) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("0/minute", None)
    client_id, _ = await admin.lwa_client()
    assert (await browser.get(authorize_url(client_id))).status_code == 200


# -- cookies and secrets at rest ------------------------------------------------------------------


async def test_session_cookie_is_secure_over_https(app: FastAPI, admin: Admin) -> None:
    client_id, _ = await admin.lwa_client()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1:8080") as tls:
        page = await tls.get(authorize_url(client_id))
    cookie = page.headers["set-cookie"].lower()
    for flag in ("secure", "httponly", "samesite=lax", "path=/ap/"):
        assert flag in cookie, cookie


async def test_journal_holds_no_secret_of_the_flow(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer
) -> None:
    """Password, CSRF token, code, verifier, client secret, tokens and cookies: none is journaled."""
    client_id, secret = await admin.lwa_client()
    verifier, challenge = pkce_pair("S256")
    page = await browser.get(authorize_url(client_id, code_challenge=challenge, code_challenge_method="S256"))
    csrf = form_for(page.text, "signin").value("csrf_token")
    assert csrf
    answer = await browser.authorize(
        authorize_url(client_id, code_challenge=challenge, code_challenge_method="S256"),
        email=ada.email,
        password=ada.password,
    )
    code = dict(httpx.URL(answer.headers["location"]).params)["code"]
    tokens = (
        await client.post(
            TOKEN,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                "client_id": client_id,
                "client_secret": secret,
            },
        )
    ).json()
    cookie = browser.http.cookies.get("localexa-lwa-session")
    assert cookie
    response = await client.get("/_localexa/journal", headers={"X-Localexa-Admin-Key": "test-admin-key"})
    dumped = str(response.json())
    assert "/ap/oa" in dumped
    assert TOKEN in dumped
    for value in (
        ada.password,
        csrf,
        code,
        verifier,
        secret,
        tokens["access_token"],
        tokens["refresh_token"],
    ):
        assert value not in dumped
    assert cookie not in dumped
