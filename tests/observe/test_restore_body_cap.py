"""`POST /_localexa/restore` has a body cap of its own (`LOCALEXA_MAX_RESTORE_BYTES`, 64 MiB), every
other route keeps `LOCALEXA_MAX_BODY_BYTES` (QA of 2026-12-06: a staging server's snapshot, 1.24 MB,
could not be restored into the server it came from without raising every route's cap)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from localexa.server.app import create_app
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}
CAP = 4096


@asynccontextmanager
async def serving(settings: Settings, **update: int) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=update))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            # Empty, as the `app` fixture leaves it: the PostgreSQL test database holds the rows
            # of the tests before (the counts below were 31 and 61 there).
            assert (await client.post("/_localexa/reset", headers=KEY)).status_code == 200
            yield client


async def _chunks(data: bytes, size: int = 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _large_snapshot(client: httpx.AsyncClient) -> bytes:
    admin = Admin(client, ADMIN_KEY)
    for number in range(30):
        await admin.customer(name=f"Customer-{number}")
    snapshot = await client.post("/_localexa/snapshot", headers=KEY)
    assert snapshot.status_code == 200
    assert len(snapshot.content) > 2 * CAP  # over every other route's cap
    return snapshot.content


async def test_a_snapshot_over_the_body_cap_restores_into_its_server(settings: Settings) -> None:
    async with serving(settings, max_body_bytes=CAP) as client:
        document = await _large_snapshot(client)
        await client.post("/_localexa/reset", headers=KEY)
        restored = await client.post("/_localexa/restore", headers=KEY, content=document)
        assert restored.status_code == 200, restored.text
        assert restored.json()["restored"]["customers"] == 30
        # Chunked (no Content-Length) too.
        chunked = await client.post("/_localexa/restore", headers=KEY, content=_chunks(document))
        assert chunked.status_code == 200, chunked.text
        # Every other route keeps its cap: a customer with a long name, and a body sent to a path
        # near the restore's.
        padded = b'{"name": "' + b"x" * CAP + b'", "email": "a@example.com", "password": "pw"}'
        for path in ("/_localexa/customers", "/_localexa/restore/", "/_localexa/snapshot"):
            refused = await client.post(path, headers=KEY, content=padded)
            assert refused.status_code == 413, (path, refused.text)
            assert refused.json() == {"message": f"The request body is larger than {CAP} bytes."}


async def test_a_restore_over_its_own_cap_is_a_413(settings: Settings) -> None:
    async with serving(settings, max_body_bytes=CAP, max_restore_bytes=2 * CAP) as client:
        document = await _large_snapshot(client)
        message = {"message": f"The request body is larger than {2 * CAP} bytes."}
        declared = await client.post("/_localexa/restore", headers=KEY, content=document)
        assert declared.status_code == 413
        assert declared.json() == message
        assert declared.headers["connection"] == "close"
        streamed = await client.post("/_localexa/restore", headers=KEY, content=_chunks(document))
        assert streamed.status_code == 413
        assert streamed.json() == message
        # Nothing was restored: the 30 customers are there still.
        listed = await client.get("/_localexa/customers", headers=KEY)
        assert len(listed.json()) == 30


async def test_a_restore_cap_below_the_body_cap_does_not_lower_it(settings: Settings) -> None:
    async with serving(settings, max_body_bytes=1_048_576, max_restore_bytes=CAP) as client:
        document = await _large_snapshot(client)
        restored = await client.post("/_localexa/restore", headers=KEY, content=document)
        assert restored.status_code == 200, restored.text


async def test_a_large_restore_without_the_key_is_a_401(settings: Settings) -> None:
    async with serving(settings, max_body_bytes=CAP) as client:
        body = b'{"format": "localexa.snapshot", "pad": "' + b"x" * (4 * CAP) + b'"}'
        response = await client.post("/_localexa/restore", content=body)
        assert response.status_code == 401
