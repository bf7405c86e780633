"""Fixtures of the console's browser tests: a real server under uvicorn in a thread on a free
port, and one chromium page per module (tests/console/browser.py)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from localexa.server.app import create_app
from localexa.server.settings import Settings
from tests.console.browser import ADMIN_KEY, CHROMIUM, CHROMIUM_ARGS, WAIT_MS, Server, free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("browser")
    port = free_port()
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite+aiosqlite:///{data / 'localexa.db'}",
        demo=False,
        admin_key=ADMIN_KEY,
        password_hash_n=1024,
        port=port,
    )
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert thread.is_alive(), "the server did not start"
        assert time.monotonic() < deadline, "the server did not start in time"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, headers={"X-Localexa-Admin-Key": ADMIN_KEY}, timeout=10) as admin:
        yield Server(url=url, admin=admin)
    uv.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser_page(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 860})
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        yield page
        context.close()
        browser.close()
