"""The customer POST reads its body after the token and the rate limit (README walk-through):
a caller without a valid token gets 401 whatever it sent, a refused call costs no parsing, a
missing body is named as such, and JSON sent as curl's default form type is still read."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.rate_limit import WindowLimiter
from tests.enablement.helpers import (
    bearer,
    customer_token,
    enablement_path,
    link_body,
    linked_skill,
    new_code,
)
from tests.enablement.token_server import TokenServer
from tests.factories import Admin

JSON = {"Content-Type": "application/json"}


async def test_no_token_is_401_even_with_a_malformed_body(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    answer = await client.post(enablement_path(skill.skill_id), content=b'{"stage":', headers=JSON)
    assert answer.status_code == 401, answer.text
    assert set(answer.json()) == {"message"}


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "The request body is required"),
        (b"  \n", "The request body is required"),
        (b"[]", "The request body must be a JSON object"),
        (b'{"stage":', "The request body is not valid JSON."),
        (b'{"stage": "beta", "accountLinkRequest": {}}', "stage: Input should be 'development' or 'live'"),
        (b'{"stage": "live"}', "accountLinkRequest: Field required"),
    ],
)
async def test_a_bad_body_is_a_400_that_says_what_is_wrong(
    client: httpx.AsyncClient, admin: Admin, raw: bytes, says: str
) -> None:
    skill = await admin.skill()
    token = await customer_token(admin, await admin.customer())
    answer = await client.post(
        enablement_path(skill.skill_id), content=raw, headers={**bearer(token), **JSON}
    )
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"message"}
    assert answer.json()["message"].startswith(says), answer.text


async def test_json_sent_with_curls_default_form_type_links(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer
) -> None:
    """`curl -d '{...}'` without -H Content-Type sends application/x-www-form-urlencoded."""
    skill = await linked_skill(admin, token_server)
    token = await customer_token(admin, await admin.customer())
    answer = await client.post(
        enablement_path(skill.skill_id),
        content=json.dumps(link_body(new_code())),
        headers={**bearer(token), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["accountLink"] == {"status": "LINKED"}


async def test_the_rate_limit_comes_before_the_body(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI
) -> None:
    app.state.rate_limiter = WindowLimiter.from_settings("1/minute", None)
    skill = await admin.skill()
    token = await customer_token(admin, await admin.customer())
    headers = {**bearer(token), **JSON}
    assert (
        await client.post(enablement_path(skill.skill_id), content=b"{", headers=headers)
    ).status_code == 400
    limited = await client.post(enablement_path(skill.skill_id), content=b"{", headers=headers)
    assert limited.status_code == 429, limited.text
    assert int(limited.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("value", "says"),
    [("c\u0000", "U+0000 (NUL)"), ("c\ud800", "unpaired UTF-16 surrogate")],
    ids=["nul", "lone-surrogate"],
)
async def test_a_form_typed_body_is_checked_like_a_json_one(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, value: str, says: str
) -> None:
    """The request guard checks bodies for these only when they say they are JSON."""
    skill = await linked_skill(admin, token_server)
    token = await customer_token(admin, await admin.customer())
    code = new_code()
    content = json.dumps(link_body(code + value), ensure_ascii=True)
    answer = await client.post(
        enablement_path(skill.skill_id),
        content=content,
        headers={**bearer(token), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["message"], answer.text
    assert not [r for r in token_server.requests if r.form.get("code", "").startswith(code)]
