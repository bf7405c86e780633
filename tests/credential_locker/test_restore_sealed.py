"""Restore opens every sealed value before it writes anything: a snapshot whose key fingerprint
matched but whose `network_key_sealed` was edited (or copied from another network) restored, and
every read of that network was then a 500 (QA of 2026-12-05)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from localexa.server.core.crypto import SecretBox
from localexa.server.db.models import metadata
from localexa.server.observe.snapshot_seals import SEALED_COLUMNS, check_sealed_values
from localexa.server.observe.state import NOT_STATE
from tests.credential_locker.conftest import Locker, network
from tests.observe.helpers import ADMIN


async def _snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _tampered(sealed: str) -> str:
    """The same sealed value with its last character changed (still base64, the tag no longer
    matches)."""
    return sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]


@pytest.mark.parametrize("how", ["edited", "copied from the other network", "not base64", "empty"])
async def test_a_sealed_value_that_does_not_open_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, locker: Locker, how: str
) -> None:
    assert (await locker.put(network(0))).status_code == 200
    assert (await locker.put(network(1))).status_code == 200
    document = await _snapshot(client)
    rows = document["tables"]["thread_networks"]
    assert len(rows) == 2
    edited = copy.deepcopy(document)
    replacement = {
        "edited": _tampered(rows[0]["network_key_sealed"]),
        "copied from the other network": rows[1]["network_key_sealed"],
        "not base64": "not base64 at all!",
        "empty": "",
    }[how]
    edited["tables"]["thread_networks"][0]["network_key_sealed"] = replacement
    assert (await locker.put(network(2))).status_code == 200  # state the refused restore must keep

    answer = await client.post("/_localexa/restore", json=edited, headers=ADMIN)

    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    assert "tables.thread_networks[0].network_key_sealed: does not open" in message
    if replacement:
        assert replacement not in message  # the reason, never the value
    listed = await locker.get(extendedPanId="dead00beef00cafe")
    assert listed.status_code == 200
    assert len(listed.json()["threadNetworks"]) == 3  # nothing was written
    # The untouched snapshot still restores, and every network reads.
    restored = await client.post("/_localexa/restore", json=document, headers=ADMIN)
    assert restored.status_code == 200, restored.text
    listed = await locker.get(extendedPanId="dead00beef00cafe")
    assert listed.status_code == 200
    assert len(listed.json()["threadNetworks"]) == 2


def test_every_sealed_column_is_checked() -> None:
    """A sealed column added later without its context here would restore unchecked."""
    sealed = {
        (table.name, column.name)
        for table in metadata.sorted_tables
        if table.name not in NOT_STATE
        for column in table.columns
        if column.name.endswith("sealed")
    }
    named = {(table, column) for table, columns in SEALED_COLUMNS.items() for column in columns}
    assert sealed == named


def test_each_context_is_the_rows_own() -> None:
    """A value sealed under the row's own context opens; under the next row's it does not."""
    box = SecretBox(b"s" * 32)
    for table, columns in SEALED_COLUMNS.items():
        for column, context_of in columns.items():
            row: dict[str, Any] = {
                "id": 7,
                "client_id": "amzn1.application-oa2-client.a",
                "user_id": "amzn1.account.A",
                "extended_pan_id": "dead00beef00cafe",
                "network_name": "Home",
            }
            row[column] = box.seal("secret", context=context_of(row))
            check_sealed_values({table: [row]}, box)
            other = {"id": 8, "client_id": "amzn1.application-oa2-client.b", "user_id": "amzn1.account.B"}
            moved = {**row, **other}
            if context_of(moved) == context_of(row):
                continue  # a one-row table (the demo seed): nothing to move it to
            with pytest.raises(Exception, match=f"tables.{table}\\[0\\].{column}: does not open"):
                check_sealed_values({table: [moved]}, box)
