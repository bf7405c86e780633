"""`POST /_localexa/snapshot` takes no options, as reset takes none: a body that says something
(`{"tables": ["customers"]}`, anything not a JSON object) is refused with 400 rather than taken and
ignored with the whole state answered (until 2026-12-07, review36e F4). No body, white space, or
`{}` answer the snapshot as before."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Admin
from tests.observe.helpers import ADMIN


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"tables": ["customers"]}', "The body gives: tables."),
        (b'{"excludeTables": ["thread_networks"]}', "The body gives: excludeTables."),
        (b"[]", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b"not json at all", "not valid JSON"),
        (b"[1,2", "not valid JSON"),
        (b'{"a": 1, "a": 2}', "more than once"),
    ],
)
async def test_a_snapshot_with_options_is_refused(
    client: httpx.AsyncClient, admin: Admin, body: bytes, said: str
) -> None:
    await admin.customer()
    answer = await client.post(
        "/_localexa/snapshot", content=body, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"message"}
    message = answer.json()["message"]
    assert message.startswith("POST /_localexa/snapshot takes no options: send no body, or {}."), message
    assert said in message
    assert message.endswith(". No snapshot was taken."), message


@pytest.mark.parametrize("content_type", [None, "application/json"])
@pytest.mark.parametrize("body", [b"", b"{}", b" { } \n", b"\r\n", b" \t "])
async def test_a_snapshot_without_options_is_taken(
    client: httpx.AsyncClient, admin: Admin, body: bytes, content_type: str | None
) -> None:
    await admin.customer()
    headers = {**ADMIN, "Content-Type": content_type} if content_type else ADMIN
    answer = await client.post("/_localexa/snapshot", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["tables"]["customers"]) == 1


async def test_the_key_is_checked_before_the_body(client: httpx.AsyncClient) -> None:
    answer = await client.post("/_localexa/snapshot", content=b'{"x": 1}')
    assert answer.status_code == 401
