"""`POST /_localexa/snapshot` writes its document as JSON once: FastAPI's `jsonable_encoder` walked
and copied every value of every row first (the values are JSON already, observe/snapshot_rows.py
`encode`). On a server many teams' CI used for months (1.3 million rows, a 443 MB document) the
copy was most of the minutes the snapshot took and doubled its memory (bench/big_state.py)."""

from __future__ import annotations

import json
from typing import Any

import fastapi.routing
import httpx
import pytest

from tests.factories import Admin
from tests.observe.helpers import ADMIN

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_the_snapshot_is_not_copied_before_it_is_written(
    client: httpx.AsyncClient, admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    await admin.skill()
    encoded: list[object] = []
    # FastAPI's serializer calls the name it imported into fastapi.routing.
    original = getattr(fastapi.routing, "jsonable_encoder")  # noqa: B009 (not re-exported: mypy)

    def watching(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, dict) and "tables" in value:
            encoded.append(value)
        return original(value, *args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "jsonable_encoder", watching)
    answer = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    assert encoded == []
    document = answer.json()
    assert answer.headers["content-type"] == "application/json"
    assert document["tables"]["skills"]
    assert document["format"] == "localexa.snapshot"
    # The document restores as before.
    restored = await client.post("/_localexa/restore", content=json.dumps(document), headers=ADMIN)
    assert restored.status_code == 200, restored.text
