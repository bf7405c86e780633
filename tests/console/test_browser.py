"""The console in a real browser (Debian's chromium driven by Playwright) against a real server.

The server runs under uvicorn in a thread on a free port (tests/console/conftest.py). Without
chromium or Playwright these tests skip, except on CI (`CI` set), where they must run.
`LOCALEXA_SCREENSHOTS=1` writes the screenshots to docs/screenshots/ (the ones the README shows).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.console.browser import (
    ADMIN_KEY,
    SCREENSHOTS,
    WAIT_MS,
    Server,
    journal_link,
    needs_browser,
    path_cell,
    sign_in_if_asked,
)
from tests.console.html_text import shown
from tests.servers import serve_stdlib

pytestmark = needs_browser()


def _seed(admin: httpx.Client) -> dict[str, Any]:
    """A little of everything, so the pages have something to show."""
    developer = admin.post(
        "/_localexa/customers",
        json={"name": "Grace Hopper", "email": "grace@example.com", "password": "pw", "region": "NA"},
    ).json()
    customer = admin.post(
        "/_localexa/customers",
        json={"name": "Ada Lovelace", "email": "ada@example.com", "password": "pw", "region": "EU"},
    ).json()
    vendor = admin.post(
        "/_localexa/vendors", json={"name": "Acme", "ownerUserId": developer["userId"]}
    ).json()
    admin.post(
        "/_localexa/lwa-clients", json={"name": "Acme app", "redirectUris": ["https://app.example.com/cb"]}
    )
    skill = admin.post(
        "/_localexa/skills",
        json={
            "vendorId": vendor["vendorId"],
            "name": "My Lights",
            "endpoint": "http://127.0.0.1:9/skill",
            "permissions": ["alexa::async_event:write", "alexa::thread_network_credentials:read"],
        },
    ).json()
    token = admin.post(
        "/_localexa/tokens",
        json={
            "clientId": skill["skillMessagingCredentials"]["clientId"],
            "userId": customer["userId"],
            "scopes": ["alexa::async_event:write"],
        },
    ).json()["access_token"]
    # Best effort: a thread network to show masked (the Credential Locker may refuse it).
    admin.put(
        "/credentiallocker/v2/threadNetworks",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "threadNetwork": {
                "extendedPanId": "dead00beef00cafe",
                "networkName": "home",
                "networkKey": "00112233445566778899aabbccddeeff",
                "pskc": "ffeeddccbbaa99887766554433221100",
            }
        },
    )
    # Best effort: the developer enables their own skill (SMAPI), for the enablements page.
    app = admin.post("/_localexa/lwa-clients", json={"name": "ASK CLI", "redirectUris": []}).json()
    scopes = ["alexa::ask:skills:readwrite"]
    dev_token = admin.post(
        "/_localexa/tokens",
        json={"clientId": app["clientId"], "userId": developer["userId"], "scopes": scopes},
    ).json()["access_token"]
    admin.put(
        f"/v1/skills/{skill['skillId']}/stages/development/enablement",
        headers={"Authorization": f"Bearer {dev_token}"},
    )
    admin.post(
        "/_localexa/faults", json={"method": "GET", "path": "/v1/alexaApiEndpoint", "status": 503, "count": 2}
    )
    admin.post(
        "/_localexa/faults", json={"path": "/v3/events", "status": 429, "probability": 0.25, "seed": 7}
    )
    admin.get("/v1/alexaApiEndpoint")
    return {"skill": skill, "customer": customer}


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    directory = SCREENSHOTS if os.environ.get("LOCALEXA_SCREENSHOTS") else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / f"console-{name}.png"), full_page=False)


def test_sign_in_and_walk_the_main_pages(server: Server, browser_page: Any, tmp_path: Path) -> None:
    seeded = _seed(server.admin)
    page = browser_page
    page.goto(f"{server.url}/console")
    assert "/console/login" in page.url
    _shot(page, "login", tmp_path)
    page.fill("#admin_key", "not the key")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text().startswith("That is not")
    page.fill("#admin_key", ADMIN_KEY)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Overview')")
    _shot(page, "overview", tmp_path)
    for label, heading, shot in (
        ("Customers", "Customers", "customers"),
        ("Vendors", "Vendors", "vendors"),
        ("Skills", "Skills", "skills"),
        ("LWA clients", "LWA clients", "lwa-clients"),
        ("Enablements", "Enablements", "enablements"),
        ("Thread networks", "Thread networks", "thread-networks"),
        ("Evaluations", "Evaluations", "evaluations"),
        ("Faults", "Faults", "faults"),
        ("Clock", "Clock", "clock"),
    ):
        page.click(f"nav.side >> text='{label}'")
        page.wait_for_selector(f"h1:has-text('{heading}')")
        assert page.locator("nav.side a.active").inner_text() == label
        _shot(page, shot, tmp_path)
        if shot == "skills":
            assert seeded["skill"]["skillId"] in page.content()
        if shot == "thread-networks" and "dead00beef00cafe" in page.content():
            assert "00112233445566778899aabbccddeeff" not in page.content()


def test_a_call_made_through_the_api_appears_in_the_live_journal(
    server: Server, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    page.goto(f"{server.url}/console/journal")
    page.wait_for_selector("h1:has-text('Journal')")
    marker = f"/_localexa/customers/amzn1.account.BROWSER{int(time.time())}"
    assert marker not in shown(page.content())
    answer = server.admin.get(marker)  # made after the page loaded: only the 2 s refresh can show it
    assert answer.status_code == 404
    journal_link(page, marker).wait_for()
    _shot(page, "journal", tmp_path)
    journal_link(page, marker).click()
    page.wait_for_selector("h2:has-text('Response')")
    assert answer.headers["X-Amzn-RequestId"] in page.content()
    assert "[redacted]" in page.content()  # the admin key header
    assert ADMIN_KEY not in page.content()
    _shot(page, "journal-entry", tmp_path)


def test_the_live_refresh_leaves_a_focused_row_alone(server: Server, browser_page: Any) -> None:
    """The rows were swapped every 2 s whatever happened: a row link reached with Tab lost its
    focus (Enter then did nothing) and selected text its selection."""
    page = browser_page
    marker = f"/_localexa/customers/amzn1.account.FOCUS{int(time.time())}"
    assert server.admin.get(marker).status_code == 404
    page.goto(f"{server.url}/console/journal")
    journal_link(page, marker).wait_for()
    journal_link(page, marker).focus()
    assert server.admin.get(marker + "-later").status_code == 404  # new rows arrive meanwhile
    page.wait_for_timeout(4500)  # two refresh ticks
    focused = page.evaluate("document.getElementById('journal-rows').contains(document.activeElement)")
    assert focused is True
    assert page.evaluate("document.activeElement.textContent").strip() == marker
    page.evaluate("document.activeElement.blur()")
    journal_link(page, f"{marker}-later").wait_for()  # refreshed once it was free


def test_faults_and_clock_through_the_forms(server: Server, browser_page: Any) -> None:
    page = browser_page
    page.goto(f"{server.url}/console/faults")
    sign_in_if_asked(page, server)  # run alone, no earlier test signed the page in
    page.select_option("select[name=method]", "POST")
    page.fill("input[name=path]", "/v1/users/~current/skills/{skillId}/enablement")
    page.select_option("select[name=status]", "500")
    page.fill("input[name=count]", "1")
    page.click("text=Create fault")
    path_cell(page, "/v1/users/~current/skills/{skillId}/enablement").wait_for()
    created = [f for f in server.admin.get("/_localexa/faults").json() if f["status"] == 500]
    assert len(created) == 1
    page.click(f"button[aria-label='Delete {created[0]['faultId']}']")
    page.wait_for_selector("h1:has-text('Faults')")
    assert not [f for f in server.admin.get("/_localexa/faults").json() if f["status"] == 500]
    page.goto(f"{server.url}/console/clock")
    before = page.locator("#clock-now").inner_text()
    page.click("text=+ 24 hours")
    page.wait_for_selector("#clock-now")
    assert page.locator("#clock-now").inner_text()[:10] != before[:10]


def _authorize_url(server: Server, *, client_name: str, redirect_uri: str) -> str:
    client = server.admin.post(
        "/_localexa/lwa-clients", json={"name": client_name, "redirectUris": ["https://app.example.com/cb"]}
    ).json()
    query = urlencode(
        {
            "client_id": client["clientId"],
            "scope": "profile",
            "response_type": "code",
            "redirect_uri": redirect_uri,
        }
    )
    return f"{server.url}/ap/oa?{query}"


@pytest.mark.parametrize("email", ["jürgen@exämple.com", '"odd"@example.com'])
def test_every_address_the_admin_api_takes_signs_in(server: Server, browser_page: Any, email: str) -> None:
    """The sign-in field was `type=email`: chromium refused to send an address with a non-ASCII
    or quoted local part, which the admin API creates (QA 2026-12-05)."""
    created = server.admin.post("/_localexa/customers", json={"name": "J", "email": email, "password": "pw"})
    assert created.status_code == 201, created.text
    page = browser_page
    page.context.clear_cookies()
    page.goto(_authorize_url(server, client_name="Acme app", redirect_uri="https://app.example.com/cb"))
    page.fill("#email", email)
    page.fill("#password", "pw")
    page.click("button.primary")
    page.wait_for_selector("text=would like to access")


def test_the_sign_in_pages_fit_a_phone(server: Server, browser_page: Any) -> None:
    """At 375 px an error page about an unregistered redirect URI was 434 px wide, and a long app
    name made the sign-in page 2,201 px (QA 2026-12-05)."""
    context = browser_page.context.browser.new_context(viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        unregistered = "https://layla.amazon.com/api/skill/link/M2AB3CDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        long_name = "A" * 200
        for url in (
            _authorize_url(server, client_name="Acme app", redirect_uri=unregistered),
            _authorize_url(server, client_name=long_name, redirect_uri="https://app.example.com/cb"),
        ):
            page.goto(url)
            page.wait_for_selector("h1")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (url, width)
        assert long_name in page.content()
    finally:
        context.close()


def test_the_first_tab_skips_to_the_content(server: Server, browser_page: Any) -> None:
    """Reaching a page's own content took 13 Tabs past the navigation (QA 2026-12-05)."""
    page = browser_page
    page.goto(f"{server.url}/console/clock")
    if "/console/login" in page.url:
        page.fill("#admin_key", ADMIN_KEY)
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Clock')")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def test_the_api_docs_render_offline_from_localexas_own_assets(server: Server, browser_page: Any) -> None:
    """Swagger UI came from cdn.jsdelivr.net: blank without the internet, and a foreign script in
    localexa's origin (QA of 2026-12-06). Every request off this server is refused here."""
    page = browser_page
    elsewhere: list[str] = []
    refused: list[str] = []

    def only_localexa(route: Any) -> None:
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security" in message.text else None,
    )
    page.route("**/*", only_localexa)
    try:
        page.goto(f"{server.url}/_localexa/docs")
        page.wait_for_selector(".opblock")
        operations = page.locator(".opblock").count()
    finally:
        page.unroute("**/*")
    assert operations >= 40, operations
    assert elsewhere == []
    assert refused == []


@pytest.fixture
def other_site(server: Server) -> Iterator[str]:
    """A page on another site (127.0.0.2 is another host than 127.0.0.1) linking to the console."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    link = f'<a id="go" href="{server.url}/console/customers">localexa</a>'.encode()

    class LinkPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(link)))
            self.end_headers()
            self.wfile.write(link)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    with serve_stdlib(ThreadingHTTPServer(("127.0.0.2", 0), LinkPage)) as url:
        yield f"{url}/"


def test_a_link_from_another_site_keeps_the_admin_signed_in(
    server: Server, browser_page: Any, other_site: str
) -> None:
    """The session cookie is SameSite=Strict, so a link from another site (a bug report, a chat)
    arrives without it: the console answered with its sign-in page, whose fresh cookie replaced
    the session, and the admin was signed out (QA of 2026-12-06). Now such a visit without the
    cookie loads the page again from the console itself, which sends it."""
    page = browser_page
    page.goto(f"{server.url}/console")
    if "/console/login" in page.url:
        page.fill("#admin_key", ADMIN_KEY)
        page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Overview')")
    page.goto(other_site)
    page.click("#go")
    page.wait_for_selector("h1")
    assert page.url == f"{server.url}/console/customers", page.url
    assert page.locator("h1").inner_text() == "Customers"
    page.goto(f"{server.url}/console")  # still signed in
    assert page.url == f"{server.url}/console", page.url
    assert page.locator("h1").inner_text() == "Overview"
