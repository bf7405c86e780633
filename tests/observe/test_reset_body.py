"""`POST /_localexa/reset` takes no options: a body that says something (fields, or anything not a
JSON object) is refused with 400 before anything is erased (it was taken and ignored until
2026-12-06). No body, white space, or `{}` reset as before."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Admin
from tests.observe.helpers import ADMIN


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'{"keepSkills": true}', "The body gives: keepSkills."),
        (b"[]", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b"keep=1", "not valid JSON"),
        (b'{"a": 1, "a": 2}', "more than once"),
    ],
)
async def test_a_reset_with_options_is_refused_and_erases_nothing(
    client: httpx.AsyncClient, admin: Admin, body: bytes, said: str
) -> None:
    await admin.customer()
    answer = await client.post(
        "/_localexa/reset", content=body, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"message"}
    message = answer.json()["message"]
    assert message.startswith("POST /_localexa/reset takes no options: send no body, or {}.")
    assert said in message
    assert message.endswith(". Nothing was reset."), message  # every refusal (since 2026-12-06)
    assert len((await client.get("/_localexa/customers", headers=ADMIN)).json()) == 1


@pytest.mark.parametrize("content_type", [None, "application/json"])
@pytest.mark.parametrize("body", [b"", b"{}", b" { } \n", b"\r\n", b" \t "])
async def test_a_reset_without_options_resets(
    client: httpx.AsyncClient, admin: Admin, body: bytes, content_type: str | None
) -> None:
    """White space is no body, with or without a JSON Content-Type (README says so since
    2026-12-06)."""
    await admin.customer()
    headers = {**ADMIN, "Content-Type": content_type} if content_type else ADMIN
    answer = await client.post("/_localexa/reset", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["reset"] is True
    assert (await client.get("/_localexa/customers", headers=ADMIN)).json() == []


async def test_the_key_is_checked_before_the_body(client: httpx.AsyncClient) -> None:
    answer = await client.post("/_localexa/reset", content=b'{"x": 1}')
    assert answer.status_code == 401
