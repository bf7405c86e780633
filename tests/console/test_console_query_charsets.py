"""A console filter whose value is not UTF-8 once its %XX escapes are decoded (`%ff`, or the
unpaired surrogate `%ED%A0%80`) is refused with a 400 naming the filter, as the console's forms
refuse such a value: Starlette decodes the query with replacement, so `?caller=%ff` was read as
U+FFFD, a filter that matched nothing, and `/console/evaluations?evaluation_id=%ff` said
"No run �" (cliq QA of 2026-12-07, L4). A U+FFFD the user typed (`%EF%BF%BD`) is text like any other.
Real requests to a served localexa."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.console.browser import ADMIN_KEY, Server

NOT_TEXT = "not text: its %XX escapes decode to bytes that are not UTF-8 or to an unpaired UTF-16 surrogate"


@pytest.fixture(scope="module")
def console(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        page = client.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        signed = client.post("/console/login", data={"admin_key": ADMIN_KEY, "csrf_token": token.group(1)})
        assert signed.status_code == 303
        yield client


def _error(page: httpx.Response) -> str:
    """The refusal's text: the page's error paragraph (or the rows' cell), or a message page's."""
    found = re.search(
        r'class="error" role="alert">(.*?)</(?:p|td)>|<h1>[^<]*</h1>\s*<p>(.*?)</p>', page.text, re.S
    )
    assert found, page.text[-600:]
    return html.unescape(found.group(1) or found.group(2))


@pytest.mark.parametrize(
    "url",
    [
        "/console/journal?caller=%ff",
        "/console/journal?path=%2Fv1%ff",
        "/console/journal/rows?caller=%ff",
        "/console/journal?caller=%ED%A0%80",  # an unpaired surrogate
        "/console/enablements?customer_id=%ff",
        "/console/evaluations?evaluation_id=%ff",
        "/console/customers?cursor=%ff",
    ],
)
def test_a_filter_that_is_not_utf8_is_refused_naming_it(console: httpx.Client, url: str) -> None:
    name = url.split("?", 1)[1].split("=", 1)[0]
    answer = console.get(url)
    assert answer.status_code == 400, answer.text[-400:]
    error = _error(answer)
    assert error.startswith(f"{name}: {NOT_TEXT}")
    assert "\ufffd" not in error  # no "No run �": nothing said as if it had been typed


def test_the_sign_in_page_refuses_a_next_that_is_not_utf8(server: Server) -> None:
    answer = httpx.get(f"{server.url}/console/login?next=%ff", timeout=10)
    assert answer.status_code == 400
    assert _error(answer).startswith(f"next: {NOT_TEXT}")


def test_a_refused_filter_keeps_its_field_for_the_focus(console: httpx.Client) -> None:
    """The refusal names the field, so the page puts the keyboard's focus in it (table.html)."""
    answer = console.get("/console/enablements?customer_id=%ff")
    assert re.search(r'<input name="customer_id" value="[^"]*" autofocus>', answer.text), answer.text[-800:]


@pytest.mark.parametrize(
    "url", ["/console/journal?caller=%EF%BF%BD", "/console/enablements?customer_id=%EF%BF%BD"]
)
def test_a_typed_replacement_character_is_text(console: httpx.Client, url: str) -> None:
    assert console.get(url).status_code == 200
