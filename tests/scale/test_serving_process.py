"""What only the serving process does (cli/serve_run.py): deferred pydantic builds and a frozen start.

The rest of the suite builds apps in process, where models build eagerly and warnings are
errors; `localexa serve` builds models on first use and freezes its start-up objects, so it gets
its own checks: its log stays clean through requests that build models late, and the freeze
keeps what start-up made (with no collection while starting) and collection then resumes.
"""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from localexa.cli.serve_run import freeze_startup_objects, pause_collection_for_startup
from localexa.testing.ports import free_port_block
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


def test_the_banner_says_where_the_admin_key_comes_from(server: ServerProcess) -> None:
    # Set by LOCALEXA_ADMIN_KEY: the data dir's admin-key file is not what the server uses, and
    # the key the caller set is not echoed into the log.
    banner = [line for line in server.log().splitlines() if line.startswith("admin key:")]
    assert banner == ["admin key: set by LOCALEXA_ADMIN_KEY (not shown)"]
    assert server.admin_key not in server.log()


def test_the_freeze_keeps_start_up_objects_and_collection_resumes() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a reference cycle: only the collector frees it

    kept = Node()
    pause_collection_for_startup()
    try:
        assert not gc.isenabled()
        asyncio.run(freeze_startup_objects(None))
        assert gc.isenabled()
        assert gc.get_freeze_count() > 1000
        assert not any(obj is kept for obj in gc.get_objects())  # frozen: no longer tracked
        later = Node()  # garbage made while serving is collected as usual
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
        gc.enable()
    assert any(obj is kept for obj in gc.get_objects())


#: `run_server` up to the moment uvicorn would accept connections: its lifespan runs (every
#: startup hook), then the garbage collector's state is printed. A process of its own, since
#: `run_server` changes process-wide settings (logging, pydantic's deferred builds, the collector).
_START_WITHOUT_SERVING = """
import gc, json, sys
from pathlib import Path
import uvicorn
from localexa.cli.serve_run import build_settings, run_server

seen = {}

async def lifespan_only(self, sockets=None):
    seen["collecting_at_start"] = gc.isenabled()
    async with self.config.app.router.lifespan_context(self.config.app):
        seen["collecting_when_ready"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()

uvicorn.Server.serve = lifespan_only
run_server(build_settings("127.0.0.1", int(sys.argv[2]), Path(sys.argv[1]), None, False, False))
print(json.dumps(seen))
"""


def test_serve_collects_no_garbage_while_starting_and_resumes_once_ready(tmp_path: Path) -> None:
    port = free_port_block()
    done = subprocess.run(
        [sys.executable, "-c", _START_WITHOUT_SERVING, str(tmp_path / "data"), str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["collecting_at_start"] is False
    assert seen["collecting_when_ready"] is True
    assert seen["frozen"] > 50_000
