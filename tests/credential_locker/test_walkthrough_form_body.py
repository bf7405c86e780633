"""A PUT body is read as JSON whatever its Content-Type (`curl -d` sends it as a form), so the
checks the request guard makes only for bodies that say they are JSON are made here too: a NUL
or an unpaired surrogate is a 400 on both databases, and nothing is stored (README walk-through:
on SQLite a form-typed body stored a name holding U+0000; PostgreSQL refused it at the write)."""

from __future__ import annotations

import json

import pytest

from tests.credential_locker.conftest import PATH, Locker, network

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("name", "says"),
    [("a\u0000b", "U+0000 (NUL)"), ("a\ud800b", "unpaired UTF-16 surrogate")],
    ids=["nul", "lone-surrogate"],
)
async def test_a_form_typed_body_is_checked_like_a_json_one(locker: Locker, name: str, says: str) -> None:
    content = json.dumps({"threadNetwork": network(networkName=name)}, ensure_ascii=True)
    answer = await locker.client.put(PATH, content=content, headers={**locker.headers, **FORM})
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "INVALID_REQUEST"
    assert says in answer.json()["message"], answer.text
    listed = await locker.get(extendedPanId=network()["extendedPanId"])
    assert listed.json() == {"threadNetworks": []}


async def test_a_form_typed_json_body_is_stored(locker: Locker) -> None:
    content = json.dumps({"threadNetwork": network()})
    answer = await locker.client.put(PATH, content=content, headers={**locker.headers, **FORM})
    assert answer.status_code == 200, answer.text
    listed = await locker.get(extendedPanId=network()["extendedPanId"])
    assert [n["networkName"] for n in listed.json()["threadNetworks"]] == [network()["networkName"]]
