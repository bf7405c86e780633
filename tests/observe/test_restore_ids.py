"""Restore refuses an autoincrement id that leaves the table too little room for new rows (review36e
F3): `thread_networks.id = 2147483647` restored, and on PostgreSQL the sequence was then spent (every
later Credential Locker PUT a 500 "Retry the request"), on SQLite the next network's id was past
restore's own range (the server's next snapshot did not restore)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Table

from localexa.server.core.errors import BadRequest
from localexa.server.db.models import metadata
from localexa.server.observe.snapshot_rows import ID_ROOM, validated_rows
from tests.credential_locker.conftest import make_locker, network
from tests.factories import Admin
from tests.observe.helpers import ADMIN

_INTEGER_MAX = 2**31 - 1
_BIG_INTEGER_MAX = 2**63 - 1


async def _snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


@pytest.mark.parametrize("taken", [_INTEGER_MAX, _INTEGER_MAX - 1, _INTEGER_MAX - ID_ROOM + 1])
async def test_an_id_without_room_after_it_is_refused(
    backend: str, client: httpx.AsyncClient, admin: Admin, taken: int
) -> None:
    locker = await make_locker(client, admin)
    assert (await locker.put(network(1))).status_code in (200, 201, 204)
    document = await _snapshot(client)
    document["tables"]["thread_networks"][0]["id"] = taken
    answer = await client.post("/_localexa/restore", json=document, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert set(answer.json()) == {"message"}
    message = answer.json()["message"]
    assert message.startswith("tables.thread_networks[0].id: "), message
    assert str(taken) not in message  # never the value
    # Nothing changed: the network is still there, and the Locker still stores new ones.
    assert (await locker.put(network(2))).status_code in (200, 201, 204)


@pytest.mark.parametrize("taken", [_INTEGER_MAX - ID_ROOM, _INTEGER_MAX - ID_ROOM - 1])
async def test_an_id_with_room_after_it_restores_and_the_locker_stores_more(
    backend: str, client: httpx.AsyncClient, admin: Admin, taken: int
) -> None:
    """The highest id allowed leaves the sequence room (PostgreSQL's PUT after it was a 500); while
    the ids stay within the bound, the server's own next snapshot restores too."""
    locker = await make_locker(client, admin)
    assert (await locker.put(network(1))).status_code in (200, 201, 204)
    document = await _snapshot(client)
    document["tables"]["thread_networks"][0]["id"] = taken
    answer = await client.post("/_localexa/restore", json=document, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    answer = await locker.put(network(2))
    assert answer.status_code in (200, 201, 204), answer.text
    again = await _snapshot(client)
    assert [row["id"] for row in again["tables"]["thread_networks"]] == [taken, taken + 1]
    answer = await client.post("/_localexa/restore", json=again, headers=ADMIN)
    assert answer.status_code == (200 if taken + 1 <= _INTEGER_MAX - ID_ROOM else 400), answer.text


def _table(name: str) -> Table:
    return metadata.tables[name]


@pytest.mark.parametrize(
    ("name", "taken", "refused"),
    [
        ("skill_messages", _BIG_INTEGER_MAX, True),
        ("skill_messages", _BIG_INTEGER_MAX - ID_ROOM + 1, True),
        ("skill_messages", _BIG_INTEGER_MAX - ID_ROOM, False),
        ("thread_networks", _INTEGER_MAX - ID_ROOM + 1, True),
        ("thread_networks", _INTEGER_MAX - ID_ROOM, False),
    ],
)
def test_integer_and_big_integer_ids_keep_room(name: str, taken: int, refused: bool) -> None:
    """The id alone is decoded before any row check, so a row of only its id tells."""
    document = {
        "format": "localexa.snapshot",
        "version": 1,
        "keyFingerprint": "k",
        "tables": {name: [{"id": taken}]},
    }
    try:
        validated_rows(document, "k", [_table(name)])
        message = ""
    except BadRequest as exc:
        message = exc.message
    assert message.startswith(f"tables.{name}[0].id: ") is refused, message
    assert str(taken) not in message
