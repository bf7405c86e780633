"""Restore holds a Thread network's plain columns to what a PUT stores: a hand-edited snapshot
whose network had `channel_number` 99 restored, and every GET of that extended PAN ID was a 500
(the answer's model refused the row); `pan_id` "zzzz" or a `default_border_agent_id` that is no hex
restored and were handed to skills as stored, which no PUT could have written (QA of 2026-12-07)."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
import pytest

from tests.credential_locker.conftest import Locker, network
from tests.observe.helpers import ADMIN

XPAN = "dead00beef00cafe"

#: (column, value a PUT never stores). The sealed columns and the identity (extended PAN ID, name)
#: are bound to the row by the seal (test_restore_sealed.py); these columns are not sealed.
UNFIT = [
    ("channel_number", 99),
    ("channel_number", 10),
    ("pan_id", "zzzz"),
    ("pan_id", "ffff"),
    ("pan_id", "12"),
    ("pan_id", "ABCD"),  # a PUT stores lower case: GET would answer the two spellings
    ("pan_id", "0x1234"),
    ("pan_id", ""),
    ("default_border_agent_id", "xyz"),
    ("default_border_agent_id", ""),
    ("default_border_agent_id", "AB"),
    ("default_border_agent_id", "ab" * 33),
]


async def _snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


@pytest.mark.parametrize(("column", "value"), UNFIT)
async def test_a_network_column_a_put_never_stores_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, locker: Locker, column: str, value: object
) -> None:
    assert (await locker.put(network(0))).status_code == 200
    document = await _snapshot(client)
    edited = copy.deepcopy(document)
    edited["tables"]["thread_networks"][0][column] = value
    assert (await locker.put(network(1))).status_code == 200  # state the refused restore must keep

    answer = await client.post("/_localexa/restore", json=edited, headers=ADMIN)

    assert answer.status_code == 400, answer.text
    # The column's own length check (`.pan_id: must be at most 4 characters.`), or the PUT's rule.
    assert re.match(rf"tables\.thread_networks\[0\](\.|: ){column}: ", answer.json()["message"]), answer.text
    listed = await locker.get(extendedPanId=XPAN)
    assert listed.status_code == 200, listed.text
    assert [n["networkName"] for n in listed.json()["threadNetworks"]] == ["Home-0", "Home-1"]


async def test_networks_as_a_put_stores_them_restore_and_read(
    client: httpx.AsyncClient, locker: Locker
) -> None:
    """Every optional field set, and every one absent: the snapshot restores and reads back."""
    assert (await locker.put(network(0))).status_code == 200
    bare = network(1, pskc=None, panId=None, channelNumber=None, defaultBorderAgentId=None)
    assert (await locker.put(bare)).status_code == 200
    before = (await locker.get(extendedPanId=XPAN)).json()
    document = await _snapshot(client)

    restored = await client.post("/_localexa/restore", json=document, headers=ADMIN)

    assert restored.status_code == 200, restored.text
    after = await locker.get(extendedPanId=XPAN)
    assert after.status_code == 200
    assert after.json() == before
