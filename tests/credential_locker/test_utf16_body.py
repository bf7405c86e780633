"""A PUT body in UTF-16 or UTF-32 is refused at the door as not UTF-8, in the Locker's own shape,
and nothing is stored (it used to be said to hold U+0000, which the client never sent)."""

from __future__ import annotations

import json

import pytest

from tests.credential_locker.conftest import PATH, Locker, network


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16", "utf-16-be", "utf-32"])
async def test_a_utf16_body_is_refused_as_not_utf8(locker: Locker, encoding: str) -> None:
    content = json.dumps({"threadNetwork": network(extendedPanId="0102030405060708")}).encode(encoding)
    headers = {**locker.headers, "Content-Type": "application/json"}
    response = await locker.client.put(PATH, content=content, headers=headers)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert set(answer) == {"code", "message"}
    assert answer["code"] == "INVALID_REQUEST"
    assert "not UTF-8" in answer["message"]
    assert "UTF-16" in answer["message"]
    assert "U+0000" not in answer["message"]
    assert (await locker.get(extendedPanId="0102030405060708")).json() == {"threadNetworks": []}
