"""Rows of one table need not give the same columns: each row restores what it gives, and a column
it leaves out takes its default (README: a snapshot of an older revision restores with "columns
added since take their defaults"). Until 2026-12-07 a table went in as one executemany, whose
columns were the first row's: a first row without `pan_id` dropped every later row's (200, data
lost), and a later row without a column the first had was a 400 (review36e F2)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.credential_locker.conftest import make_locker, network
from tests.factories import Admin
from tests.observe.helpers import ADMIN


async def _two_networks(client: httpx.AsyncClient, admin: Admin) -> dict[str, Any]:
    locker = await make_locker(client, admin)
    for n, pan_id, channel in ((1, "1111", 11), (2, "2222", 22)):
        answer = await locker.put(network(n, panId=pan_id, channelNumber=channel))
        assert answer.status_code in (200, 201, 204), answer.text
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    assert [row["pan_id"] for row in document["tables"]["thread_networks"]] == ["1111", "2222"]
    return document


async def _networks_after_restore(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> list[dict[str, Any]]:
    answer = await client.post("/_localexa/restore", json=document, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    rows: list[dict[str, Any]] = response.json()["tables"]["thread_networks"]
    return rows


@pytest.mark.parametrize("lacking", [0, 1])
async def test_a_row_lacking_columns_restores_and_the_others_keep_theirs(
    backend: str, client: httpx.AsyncClient, admin: Admin, lacking: int
) -> None:
    document = await _two_networks(client, admin)
    edited = copy.deepcopy(document)
    for column in ("pan_id", "channel_number"):
        del edited["tables"]["thread_networks"][lacking][column]
    rows = await _networks_after_restore(client, edited)
    expected: list[tuple[str, str | None, int | None]] = [("Home-1", "1111", 11), ("Home-2", "2222", 22)]
    expected[lacking] = (expected[lacking][0], None, None)
    assert [(r["network_name"], r["pan_id"], r["channel_number"]) for r in rows] == expected
    original = document["tables"]["thread_networks"]
    assert [r["id"] for r in rows] == [r["id"] for r in original]


async def test_rows_with_other_columns_keep_their_order_and_defaults(
    backend: str, client: httpx.AsyncClient, admin: Admin
) -> None:
    """Rows without ids take new ones in the document's order, whatever columns they give; a
    column with a default (a token's `public_client`) takes it where left out."""
    document = await _two_networks(client, admin)
    edited = copy.deepcopy(document)
    first, second = edited["tables"]["thread_networks"]
    for row in (first, second):
        del row["id"]
    del second["pan_id"]
    tokens = edited["tables"]["lwa_tokens"]
    assert len(tokens) >= 2
    tokens[0]["public_client"] = True
    del tokens[1]["public_client"]
    rows = await _networks_after_restore(client, edited)
    assert [(r["network_name"], r["pan_id"]) for r in rows] == [("Home-1", "1111"), ("Home-2", None)]
    assert rows[0]["id"] < rows[1]["id"]
    restored = (await client.post("/_localexa/snapshot", headers=ADMIN)).json()["tables"]["lwa_tokens"]
    public = {row["token_hash"]: row["public_client"] for row in restored}
    assert public[tokens[0]["token_hash"]] is True
    assert public[tokens[1]["token_hash"]] is False
