"""A name or value a user typed shows on a console page as typed (console/said.py): two backticks
in it (`/console?a`b`c=1`) showed the part between them as code, as the console read every
message's backticks as Markdown (QA of 2026-12-06). Real requests to a served localexa."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.requests import Request

from localexa.server.console.render import error_page
from localexa.server.console.said import Code, Said, markdown, refused_names
from localexa.server.core.admin_route import check_query
from localexa.server.core.errors import BadRequest
from tests.console.browser import ADMIN_KEY, Server

TICKS = "a`b`c"


@pytest.fixture(scope="module")
def console(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        page = client.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        signed = client.post("/console/login", data={"admin_key": ADMIN_KEY, "csrf_token": token.group(1)})
        assert signed.status_code == 303
        yield client


def _said(page: httpx.Response) -> str:
    """The message's HTML: the message page's paragraph, or a page's error (the rows' cell)."""
    found = re.search(
        r'class="error" role="alert">(.*?)</(?:p|td)>|<h1>[^<]*</h1>\s*<p>(.*?)</p>', page.text, re.S
    )
    assert found, page.text[-600:]
    return found.group(1) or found.group(2)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/console", f"{TICKS}: not a parameter of the console's overview; it takes none."),
        ("/console/clock", f"{TICKS}: not a parameter of the console's clock page; it takes none."),
        (
            "/console/customers",
            f"{TICKS}: not a parameter of the console's customers page; it takes cursor, region.",
        ),
        ("/console/journal", f"{TICKS}: not a parameter of the console's journal;"),
        ("/console/journal/rows", f"{TICKS}: not a parameter of the console's journal;"),
        (
            "/console/login",
            f"{TICKS}: not a parameter of the console's sign-in page; it takes next, unsaved.",
        ),
    ],
)
def test_a_refused_name_shows_as_typed(console: httpx.Client, path: str, message: str) -> None:
    refused = console.get(path, params={TICKS: "1"})
    assert refused.status_code == 400
    said = _said(refused)
    assert "<code>" not in said, said
    assert html.unescape(said).startswith(message), said


def test_typed_values_and_paths_show_as_typed(console: httpx.Client) -> None:
    """The filters' values, a page's name and a path in core's 404 and 405 are the user's text too."""
    pages = {
        "/console/journal?path=a%60b%60c": f"path: '{TICKS}' matches no call",
        "/console/customers?region=a%60b%60c": f"region: '{TICKS}' is not one of NA, EU or FE.",
        "/console/a%60b%60c": f"The console has no page {TICKS}.",
        "/console/x/a%60b%60c": f"No resource at GET /console/x/{TICKS}.",
    }
    for path, message in pages.items():
        said = _said(console.get(path))
        assert "<code>" not in said, (path, said)
        assert message in html.unescape(said), (path, said)
    wrong = console.delete("/console/a%60b%60c")
    assert wrong.status_code == 405
    assert html.unescape(_said(wrong)) == f"DELETE is not allowed on /console/{TICKS}."


def test_the_console_own_marks_stay_code(console: httpx.Client) -> None:
    """An empty name is still named with its `?=…` as code, beside a typed name shown as text."""
    refused = console.get(f"/console?=1&{TICKS}=2")
    assert html.unescape(_said(refused)) == (
        f"a parameter with an empty name (<code>?=…</code>), {TICKS}: not parameters of the "
        "console's overview; it takes none."
    )


def _request(query: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": []}
    )


@pytest.mark.parametrize(
    "query", ["", "a=1", "=1", "a`b`c=1&=2&zz=3", "cursor=1&cursor=2", "region=x&region=y&q=1"]
)
def test_the_wording_is_the_admin_apis(query: str) -> None:
    """`str()` of the console's refusal is `check_query`'s message, word for word."""
    accepted = frozenset({"cursor", "region"})
    refusal = refused_names(_request(query), accepted, "the page")
    message: str | None = None
    try:
        check_query(_request(query), accepted, "the page")
    except BadRequest as exc:
        message = exc.message
    assert (str(refusal) if refusal is not None else None) == message


def test_markdown_is_read_only_where_nothing_was_typed() -> None:
    assert markdown("the `userId` POST answered") == Said(("the ", Code("userId"), " POST answered"))
    assert Said(("x ", Code("a<b"))).html() == "x <code>a&lt;b</code>"
    # Core's 503 before the lifespan marks code; its 404 and 405 quote the typed path.
    marked = bytes(error_page(503, "enter `app.router.lifespan_context(app)` first", {}).body)
    assert b"<code>app.router.lifespan_context(app)</code>" in marked
    typed = bytes(error_page(404, f"No resource at GET /console/{TICKS}.", {}).body)
    assert f"/console/{html.escape(TICKS)}.".encode() in typed
