"""A 404 names the id or path it did not find, but not all of an id of thousands of characters:
its first 100 (300 of a path) and how long it was. Whole, a 7,000-character id came back in the
answer (session 36's review)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN_KEY

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}
LONG = "a" * 7000


@pytest.mark.parametrize(
    ("method", "path", "said"),
    [
        ("GET", f"/_localexa/customers/{LONG}", "No customer " + "a" * 100 + "… (7,000 characters)."),
        ("GET", f"/_localexa/skills/{LONG}", "No skill " + "a" * 100 + "… (7,000 characters)."),
        ("DELETE", f"/_localexa/faults/{LONG}", "No fault " + "a" * 100 + "… (7,000 characters)."),
        (
            "GET",
            f"/_localexa/vendors/{LONG}",
            "No resource at GET " + f"/_localexa/vendors/{LONG}"[:300] + "… (7,019 characters).",
        ),
    ],
)
async def test_a_long_id_is_named_by_its_start_and_length(
    client: httpx.AsyncClient, method: str, path: str, said: str
) -> None:
    answer = await client.request(method, path, headers=KEY)
    assert answer.status_code == 404, answer.text
    assert answer.json()["message"] == said


async def test_a_short_id_is_named_whole(client: httpx.AsyncClient) -> None:
    answer = await client.get("/_localexa/customers/amzn1.account.NOPE", headers=KEY)
    assert answer.status_code == 404, answer.text
    assert answer.json()["message"] == "No customer amzn1.account.NOPE."


async def test_lwa_names_a_long_path_by_its_start_in_its_own_shape(client: httpx.AsyncClient) -> None:
    answer = await client.delete(f"/auth/o2/token{LONG}")
    assert answer.status_code == 404, answer.text
    description = answer.json()["error_description"]
    assert description.endswith("... (7,014 characters)."), description
    assert len(description) < 400
