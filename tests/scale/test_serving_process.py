"""What only the serving process does (cli/serve.py): deferred pydantic builds and a frozen start.

The rest of the suite builds apps in process, where models build eagerly and warnings are
errors; `localexa serve` builds models on first use and freezes its start-up objects, so it gets
its own checks: its log stays clean through requests that build models late, and the freeze
keeps what start-up made while letting start-up's garbage go.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from localexa.cli.serve import freeze_startup_objects
from tests.scale.processes import ServerProcess, shared_secrets

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root: Path = tmp_path_factory.mktemp("serving")
    keys = shared_secrets()
    process = ServerProcess(
        data_dir=root / "data",
        admin_key=keys["admin_key"],
        env={"LOCALEXA_SECRET_KEY": keys["secret_key"], "LOCALEXA_PASSWORD_HASH_N": "1024"},
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_requests_that_build_models_late_leave_the_log_clean(server: ServerProcess) -> None:
    developer = server.admin(
        "customers", {"name": "Ada", "email": "ada@example.com", "password": "pw", "region": "NA"}
    )
    app = server.admin("lwa-clients", {"name": "App", "redirectUris": ["https://app.example.com/cb"]})
    tokens = server.admin(
        "tokens",
        {"clientId": app["clientId"], "userId": developer["userId"], "scopes": ["profile"]},
    )
    with server.client() as http:
        refreshed = http.post(
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": app["clientId"],
                "client_secret": app["clientSecret"],
            },
        )
        assert refreshed.status_code == 200, refreshed.text
        # A body that fails validation builds the error path's models too.
        bad = http.post("/_localexa/customers", json={"name": 3}, headers=server.admin_headers)
        assert bad.status_code == 400, bad.text
        profile = http.get("/user/profile", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert profile.status_code == 200, profile.text
        document = http.get("/_localexa/openapi.json")
        assert document.status_code == 200
        assert "/credentiallocker/v2/threadNetworks" in document.json()["paths"]
    log = server.log()
    for marker in ("Warning", "Traceback", "ERROR"):
        assert marker not in log, log


def test_the_freeze_keeps_start_up_objects_and_collects_start_up_garbage() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a reference cycle: only the collector frees it

    garbage = Node()
    gone = weakref.ref(garbage)
    del garbage
    kept = Node()
    try:
        asyncio.run(freeze_startup_objects(None))
        assert gone() is None  # collected before the freeze, not kept forever
        assert gc.get_freeze_count() > 1000
        assert not any(obj is kept for obj in gc.get_objects())  # frozen: no longer tracked
    finally:
        gc.unfreeze()
    assert any(obj is kept for obj in gc.get_objects())
