"""Core's refusals under /console say which of them the user sent (core/message_parts.py): the
request guard's quoting a header, a validation error naming a field. The console's page read every
message core rendered but a 404 or 405 as Markdown, so a Host `a`b`c` showed its `b` as code
(until the night of 2026-12-06), while localexa's own code marks stay code."""

from __future__ import annotations

import html
import re

import httpx

from localexa.server.console.render import error_page
from localexa.server.core.message_parts import Code, Parts, Sent

TICKS = "a`b`c"


def _message(page: httpx.Response) -> str:
    found = re.search(r"<h1>[^<]*</h1>\s*<p>(.*?)</p>", page.text, re.S)
    assert found, page.text[-600:]
    return found.group(1)


async def test_a_host_the_guard_refuses_shows_as_sent(client: httpx.AsyncClient) -> None:
    refused = await client.get("/console", headers={"Host": TICKS})
    assert refused.status_code == 400, refused.text
    said = _message(refused)
    assert "<code>" not in said, said
    assert html.unescape(said) == f"The Host header '{TICKS}' is not a host[:port] (RFC 9112 \u00a73.2)."


def test_parts_show_their_code_as_code_and_what_was_sent_as_text() -> None:
    message = Parts.of("the `userId` of ", Sent(TICKS), " is ", Code("x<y"), ".")
    page = bytes(error_page(400, message, {}).body).decode()
    assert "the <code>userId</code> of a`b`c is <code>x&lt;y</code>." in page, page
