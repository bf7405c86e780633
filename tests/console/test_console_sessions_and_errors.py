"""The console's sign-out that holds, and its errors as HTML pages (audit F4, F7, F9)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from localexa.server.app import create_app
from localexa.server.console.session import COOKIE
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY, SECRET_KEY
from tests.console.test_console import _csrf, sign_in
from tests.observe.helpers import ADMIN, faults

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _signed_in_cookie(client: httpx.AsyncClient) -> tuple[str, str]:
    await sign_in(client)
    csrf = _csrf((await client.get("/console")).text)
    cookie = client.cookies.get(COOKIE, path="/console")
    assert cookie
    return cookie, csrf


async def test_a_saved_cookie_signs_no_one_in_after_sign_out(client: httpx.AsyncClient) -> None:
    cookie, csrf = await _signed_in_cookie(client)
    assert (await client.post("/console/logout", data={"csrf_token": csrf})).status_code == 303
    client.cookies.set(COOKIE, cookie, path="/console")  # replayed, as a saved copy would be
    assert (await client.get("/console")).status_code == 303
    assert (await client.get("/console/journal/rows")).status_code == 401
    # Signing in again makes a new session, which works.
    client.cookies.clear()
    await sign_in(client)
    assert (await client.get("/console")).status_code == 200


@asynccontextmanager
async def _process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            yield client


async def test_sign_out_holds_in_another_process_after_a_restart_and_a_reset(
    tmp_path: Path, database_url: str
) -> None:
    def process_settings(name: str) -> Settings:
        # Processes share the keys and the database (no Redis): the sign-out is a row there.
        return Settings(
            data_dir=tmp_path / name,
            database_url=database_url,
            demo=False,
            admin_key=ADMIN_KEY,
            secret_key=SECRET_KEY,  # the session's: this test shares its PostgreSQL database
            password_hash_n=1024,
        )

    async with _process(process_settings("a")) as first:
        cookie, csrf = await _signed_in_cookie(first)
        async with _process(process_settings("b")) as second:
            second.cookies.set(COOKIE, cookie, path="/console")
            assert (await second.get("/console")).status_code == 200  # one session, both processes
            assert (await first.post("/console/logout", data={"csrf_token": csrf})).status_code == 303
            assert (await second.get("/console")).status_code == 303
            # A reset must not bring the signed-out cookie back.
            assert (await second.post("/_localexa/reset", headers=ADMIN)).status_code == 200
            assert (await second.get("/console")).status_code == 303
    async with _process(process_settings("c")) as restarted:
        restarted.cookies.set(COOKIE, cookie, path="/console")
        assert (await restarted.get("/console")).status_code == 303


async def test_a_form_value_that_is_not_text_is_refused(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    csrf = _csrf((await client.get("/console/faults")).text)
    for path in ("/v1/%ED%A0%80", "/v1/%FF"):  # an encoded lone surrogate; a byte that is not UTF-8
        body = f"csrf_token={csrf}&path={path}&status=503"
        refused = await client.post("/console/faults", content=body, headers=FORM)
        assert refused.status_code == 400
        assert "unpaired UTF-16 surrogate" in refused.text
        assert "<h1>Faults</h1>" in refused.text  # the form's own page, with the error
    assert await faults(client) == []
    clock = await client.post(
        "/console/clock", content=f"csrf_token={csrf}&seconds=6%ED%A0%800", headers=FORM
    )
    assert clock.status_code == 400
    assert "text/html" in clock.headers["content-type"]
    assert "unpaired UTF-16 surrogate" in clock.text
    # A U+FFFD that was typed is text like any other.
    typed = await client.post(
        "/console/faults", content=f"csrf_token={csrf}&path=/v1/%EF%BF%BD&status=503", headers=FORM
    )
    assert typed.status_code == 303
    [fault] = await faults(client)
    assert fault["path"] == "/v1/\ufffd"


async def test_deleting_an_unknown_fault_says_so(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    csrf = _csrf((await client.get("/console/faults")).text)
    response = await client.post("/console/faults/fault-nope/delete", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert "No fault fault-nope" in response.text


def _is_console_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>" in response.text
    assert "localexa" in response.text
    assert response.headers["Cache-Control"] == "no-store"


async def test_console_errors_are_html_pages(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    csrf = _csrf((await client.get("/console/faults")).text)
    _is_console_page(await client.get("/console/journal/abc"), 400)
    _is_console_page(await client.get("/console/journal?path=%00"), 400)
    nul_form = await client.post("/console/clock", content=f"csrf_token={csrf}&seconds=1%00", headers=FORM)
    _is_console_page(nul_form, 400)
    too_large = await client.post(
        "/console/clock", content=f"csrf_token={csrf}&seconds=1&pad=" + "x" * 1_100_000, headers=FORM
    )
    _is_console_page(too_large, 413)
    wrong_method = await client.put("/console/clock")
    _is_console_page(wrong_method, 405)
    assert set(wrong_method.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST"}
    _is_console_page(await client.get("/console/faults/x/delete"), 405)
    get_logout = await client.get("/console/logout")  # was caught by the table pages' /{slug}: 404
    _is_console_page(get_logout, 405)
    assert get_logout.headers["Allow"] == "POST"
    _is_console_page(await client.get("/console/no/such/page"), 404)
    # What the request named is shown as text, never as markup.
    escaped = await client.put("/console/<b>x")
    _is_console_page(escaped, 405)
    assert "<b>x" not in escaped.text
    assert "&lt;b&gt;x" in escaped.text
    assert "X-Amzn-RequestId" in escaped.headers


async def test_other_apis_keep_their_error_shapes(client: httpx.AsyncClient) -> None:
    admin = await client.put("/_localexa/clock", headers=ADMIN)
    assert admin.status_code == 405
    assert admin.json() == {"message": "PUT is not allowed on /_localexa/clock."}
    lwa_page = await client.put("/ap/oa")
    assert lwa_page.status_code == 405
    assert "text/html" in lwa_page.headers["content-type"]
    assert "localexa console" not in lwa_page.text


CROSS_SITE_NAVIGATION = {
    "Sec-Fetch-Site": "cross-site",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
}


async def test_a_cross_site_visit_without_the_cookie_is_loaded_again_from_the_console(
    client: httpx.AsyncClient,
) -> None:
    """SameSite=Strict withholds the session cookie from a link followed from another site: the
    page is loaded again by a navigation of the console's own (which sends it), and no cookie is
    set meanwhile (the sign-in page's anonymous cookie replaced the session). The browser test
    `test_a_link_from_another_site_keeps_the_admin_signed_in` follows such a link in Chromium."""
    cookie, _ = await _signed_in_cookie(client)
    client.cookies.clear()  # what the browser sends cross-site: no cookie
    for path in ("/console/customers?page=2", "/console/login?next=%2Fconsole%2Fjournal"):
        answer = await client.get(path, headers=CROSS_SITE_NAVIGATION)
        assert answer.status_code == 200, path
        assert "set-cookie" not in answer.headers, path
        assert f'content="0;url={path.replace("&", "&amp;")}"' in answer.text, answer.text
        assert answer.headers["Cache-Control"] == "no-store"
    # The console's own navigation carries the cookie: the page itself.
    client.cookies.set(COOKIE, cookie, path="/console")
    same = {**CROSS_SITE_NAVIGATION, "Sec-Fetch-Site": "same-origin"}
    assert (await client.get("/console/customers", headers=same)).status_code == 200
    # With the cookie sent (a Lax-like browser, a bookmark) the page is served at once.
    assert (
        "<h1>Customers</h1>" in (await client.get("/console/customers", headers=CROSS_SITE_NAVIGATION)).text
    )


async def test_only_a_browser_navigation_without_the_cookie_is_loaded_again(
    client: httpx.AsyncClient,
) -> None:
    # Not a navigation (a fetch), a same-origin one, and a client sending no Sec-Fetch-* at all go
    # to the sign-in page as before.
    for headers in (
        {**CROSS_SITE_NAVIGATION, "Sec-Fetch-Mode": "cors"},
        {"Sec-Fetch-Site": "same-origin"},
        {},
    ):
        answer = await client.get("/console/customers", headers=headers)
        assert answer.status_code == 303, headers
        assert answer.headers["location"] == "/console/login?next=%2Fconsole%2Fcustomers"


async def test_a_sign_out_without_a_session_goes_to_the_sign_in_page_alone(client: httpx.AsyncClient) -> None:
    """It sent the browser to `/console/login?next=/console/logout`: a cross-site sign-out form
    (no Strict cookie) then ended, after the sign-in page's reload, on a GET of the sign-out,
    "Method not allowed" (re-verification of 2026-12-06). There is nothing to come back to."""
    answer = await client.post("/console/logout", data={}, headers=CROSS_SITE_NAVIGATION)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login"
