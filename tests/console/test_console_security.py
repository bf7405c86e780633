"""Security audit of the console's sign-in and sign-out: open redirects, headers, CSRF, cookie
flags, and the sign-in's rate limit."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.rate_limit import WindowLimiter
from tests.conftest import ADMIN_KEY
from tests.console.test_console import _csrf, sign_in

HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example/console",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "/console@evil.example",  # stays on this server: a path, not an authority
    "/console/../..//evil.example",
    " //evil.example",
    "\t/console",
    "/console\r\nSet-Cookie: x=1",
]


def _stays_here(location: str) -> bool:
    """A same-origin path that no browser reads as another host."""
    return (
        location.startswith("/console")
        and not location.startswith("//")
        and "\\" not in location
        and "\r" not in location
        and "\n" not in location
    )


@pytest.mark.parametrize("target", HOSTILE_NEXT)
async def test_next_never_leaves_the_console(client: httpx.AsyncClient, target: str) -> None:
    page = await client.get("/console/login", params={"next": target})
    assert page.status_code == 200
    hidden = re.search(r'name="next" value="([^"]*)"', page.text)
    assert hidden is not None
    assert _stays_here(html.unescape(hidden.group(1)))
    answer = await client.post(
        "/console/login", data={"admin_key": ADMIN_KEY, "csrf_token": _csrf(page.text), "next": target}
    )
    assert answer.status_code == 303
    assert _stays_here(answer.headers["location"]), answer.headers["location"]
    # signed in, the login page redirects at once: the same rule
    again = await client.get("/console/login", params={"next": target})
    assert again.status_code == 303
    assert _stays_here(again.headers["location"]), again.headers["location"]


async def test_sign_out_goes_to_the_login_page_only(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    csrf = _csrf((await client.get("/console")).text)
    out = await client.post("/console/logout", data={"csrf_token": csrf, "next": "https://evil.example/"})
    assert out.status_code == 303
    assert out.headers["location"] == "/console/login"


async def test_cross_site_forms_change_nothing(client: httpx.AsyncClient, app: FastAPI) -> None:
    """A POST from another site carries neither the SameSite=Strict cookie nor the CSRF token."""
    await sign_in(client)
    before = app.state.clock.offset_seconds
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as attacker:
        for path, data in (
            ("/console/clock", {"seconds": "3600"}),
            ("/console/faults", {"path": "/v1/x", "status": "503"}),
            ("/console/logout", {}),
        ):
            response = await attacker.post(path, data=data, headers={"Origin": "https://evil.example"})
            assert response.status_code in (303, 401, 403), (path, response.status_code)
            assert response.headers.get("location", "/console/login").startswith("/console/login")
    # with the victim's cookie but without the token (a browser that sent the cookie anyway)
    for path, data in (("/console/clock", {"seconds": "3600"}), ("/console/logout", {})):
        response = await client.post(path, data=data)
        assert response.status_code == 403, path
    assert app.state.clock.offset_seconds == before
    assert (await client.get("/_localexa/faults", headers={"X-Localexa-Admin-Key": ADMIN_KEY})).json() in (
        [],
        {"faults": []},
    )
    assert (await client.get("/console")).status_code == 200  # still signed in


async def test_pages_cannot_be_framed_sniffed_or_cached(client: httpx.AsyncClient) -> None:
    login = await client.get("/console/login")
    wrong = await client.post("/console/login", data={"admin_key": "wrong", "csrf_token": _csrf(login.text)})
    await sign_in(client)
    for response in (
        login,
        wrong,
        await client.get("/console"),
        await client.get("/console/journal"),
        await client.get("/console/no-such-page"),
        await client.put("/console/login"),  # core's error page under /console
    ):
        assert response.headers["X-Frame-Options"] == "DENY", response.request.url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin", "strict-origin")


async def test_cookie_is_secure_over_https(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1:8080") as client:
        page = await client.get("/console/login")
        cookie = page.headers["set-cookie"]
        assert "Secure" in cookie
        assert "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower()
        answer = await client.post(
            "/console/login", data={"admin_key": ADMIN_KEY, "csrf_token": _csrf(page.text)}
        )
        assert "Secure" in answer.headers["set-cookie"]
        lwa = await client.get("/ap/oa?client_id=nobody")
        assert lwa.status_code == 400  # no cookie on an error page; the LWA cookie is tested below


async def test_sign_in_attempts_are_rate_limited(client: httpx.AsyncClient, app: FastAPI) -> None:
    """Guessing the admin key (which may be a short one set through LOCALEXA_ADMIN_KEY) is bounded
    by the rate limit, per address."""
    app.state.rate_limiter = WindowLimiter.from_settings("3/minute", None)
    page = await client.get("/console/login")
    csrf = _csrf(page.text)
    for _ in range(3):
        wrong = await client.post("/console/login", data={"admin_key": "guess", "csrf_token": csrf})
        assert wrong.status_code == 401
    limited = await client.post("/console/login", data={"admin_key": ADMIN_KEY, "csrf_token": csrf})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["content-type"].startswith("text/html")
    assert "location" not in limited.headers
    assert "Too many sign-in attempts" in limited.text
    assert limited.headers["X-Frame-Options"] == "DENY"
    assert (await client.get("/console")).status_code == 303  # not signed in


async def test_pages_are_not_counted(client: httpx.AsyncClient, app: FastAPI) -> None:
    await sign_in(client)
    app.state.rate_limiter = WindowLimiter.from_settings("0/minute", None)
    assert (await client.get("/console/login")).status_code == 303
    assert (await client.get("/console")).status_code == 200


async def test_a_form_from_another_site_is_refused_and_says_so(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Even with the session cookie and the page's token; the page said "Form expired ... reload
    the page and submit it again", as to a form of an old tab (QA of 2026-12-05)."""
    await sign_in(client)
    csrf = _csrf((await client.get("/console/clock")).text)
    before = app.state.clock.offset_seconds
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = await client.post(
            "/console/clock", data={"seconds": "60", "csrf_token": csrf}, headers=headers
        )
        assert refused.status_code == 403, headers
        assert "sent from another site" in refused.text
        assert "reload the page" not in refused.text
    assert app.state.clock.offset_seconds == before
    own_site = await client.post("/console/clock", data={"seconds": "60", "csrf_token": csrf})
    assert own_site.status_code == 303
    stale = await client.post("/console/clock", data={"seconds": "60", "csrf_token": "old"})
    assert "Form expired" in stale.text


#: What nginx terminating TLS on https://localhost:18143 passes on with `proxy_set_header Host
#: $host;` (the port dropped), under Chromium's own headers for the console's forms.
BEHIND_A_PROXY = {"Host": "localhost", "Origin": "https://localhost:18143", "Sec-Fetch-Site": "same-origin"}


async def test_forms_work_behind_a_proxy_that_rewrites_host(client: httpx.AsyncClient, app: FastAPI) -> None:
    """QA of 2026-12-06: the clock form and Sign out were refused with 403 "Sent from another site"
    as the Origin's host:port was compared with the rewritten Host alone."""
    page = await client.get("/console/login", headers=BEHIND_A_PROXY)
    signed_in = await client.post(
        "/console/login",
        data={"admin_key": ADMIN_KEY, "csrf_token": _csrf(page.text)},
        headers=BEHIND_A_PROXY,
    )
    assert signed_in.status_code == 303, signed_in.text
    csrf = _csrf((await client.get("/console/clock", headers=BEHIND_A_PROXY)).text)
    before = app.state.clock.offset_seconds
    moved = await client.post(
        "/console/clock", data={"seconds": "60", "csrf_token": csrf}, headers=BEHIND_A_PROXY
    )
    assert moved.status_code == 303, moved.text
    assert app.state.clock.offset_seconds == pytest.approx(before + 60)
    out = await client.post("/console/logout", data={"csrf_token": csrf}, headers=BEHIND_A_PROXY)
    assert out.status_code == 303, out.text
    assert out.headers["location"] == "/console/login"
    assert (await client.get("/console")).status_code == 303  # signed out


async def test_an_origin_of_the_public_base_url_is_this_site(client: httpx.AsyncClient, app: FastAPI) -> None:
    """A browser that sends no Sec-Fetch-Site (plain HTTP to a LAN address, an older browser):
    LOCALEXA_PUBLIC_BASE_URL tells the proxy's origin."""
    app.state.settings.public_base_url = "https://localhost:18143/"
    await sign_in(client)
    csrf = _csrf((await client.get("/console/clock")).text)
    proxied = {"Host": "localhost", "Origin": "https://localhost:18143"}
    moved = await client.post("/console/clock", data={"seconds": "60", "csrf_token": csrf}, headers=proxied)
    assert moved.status_code == 303, moved.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "localhost", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Host": "localhost", "Origin": "https://evil.example"},
        # The public origin, forged or from a redirect: the browser's cross-site decides.
        {"Host": "localhost", "Origin": "https://localhost:18143", "Sec-Fetch-Site": "cross-site"},
        # Another port of localhost is the same site, and another origin.
        {"Host": "localhost", "Origin": "https://localhost:18144", "Sec-Fetch-Site": "same-site"},
    ],
)
async def test_other_sites_stay_refused_behind_a_proxy(
    client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str]
) -> None:
    app.state.settings.public_base_url = "https://localhost:18143"
    await sign_in(client)
    csrf = _csrf((await client.get("/console/clock")).text)
    before = app.state.clock.offset_seconds
    refused = await client.post("/console/clock", data={"seconds": "60", "csrf_token": csrf}, headers=headers)
    assert refused.status_code == 403
    assert "sent from another site" in refused.text
    out = await client.post("/console/logout", data={"csrf_token": csrf}, headers=headers)
    assert out.status_code == 403
    assert app.state.clock.offset_seconds == before
    assert (await client.get("/console")).status_code == 200  # still signed in


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
async def test_a_sign_in_from_another_site_is_refused(
    client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str]
) -> None:
    """QA of 2026-12-06: with the login page's cookie and token and the right key, a sign-in
    posted from another site answered 303 signed in. It is refused before any budget is spent."""
    app.state.rate_limiter = WindowLimiter.from_settings("2/minute", None)
    page = await client.get("/console/login")
    csrf = _csrf(page.text)
    for key in (ADMIN_KEY, "guess", "guess"):
        refused = await client.post(
            "/console/login", data={"admin_key": key, "csrf_token": csrf}, headers=headers
        )
        assert refused.status_code == 403, refused.text
        assert "sent from another site" in refused.text
        assert "set-cookie" not in refused.headers
        assert (await client.get("/console")).status_code == 303  # not signed in
    # None of them counted: the admin's own sign-in still has its whole budget.
    assert (
        await client.post("/console/login", data={"admin_key": "guess", "csrf_token": csrf})
    ).status_code == 401
    signed_in = await client.post("/console/login", data={"admin_key": ADMIN_KEY, "csrf_token": csrf})
    assert signed_in.status_code == 303
    assert (await client.get("/console")).status_code == 200
