"""Under `/_localexa/` the key comes before everything, unknown paths and wrong methods included:
without it a caller told the admin routes that exist (405, or a 404 for the others) apart (QA of
2026-12-06; admin-api.md: "Every call under /_localexa/ except health needs the header")."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN_KEY

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}


@pytest.mark.parametrize(
    ("method", "path", "with_key"),
    [
        ("GET", "/_localexa/nope", 404),
        ("GET", "/_localexa/customers/x/y/z", 404),
        ("DELETE", "/_localexa/clock", 405),
    ],
)
async def test_without_the_key_every_admin_path_is_401(
    client: httpx.AsyncClient, method: str, path: str, with_key: int
) -> None:
    for headers in ({}, {"X-Localexa-Admin-Key": "wrong"}):
        answer = await client.request(method, path, headers=headers)
        assert answer.status_code == 401, (headers, answer.text)
        assert set(answer.json()) == {"message"}
    known = await client.request(method, path, headers=KEY)
    assert known.status_code == with_key, known.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/_localexa/health", 405),
        ("GET", "/_localexa/docs/assets/nope.js", 404),
        ("GET", "/_localexa/demo/nope", 404),
        ("GET", "/v1/nope", 404),
    ],
)
async def test_the_open_paths_answer_without_the_key(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    assert (await client.request(method, path)).status_code == status
