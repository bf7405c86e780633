"""Fixtures of the enablement tests: a real token endpoint for the skills' account linking."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.enablement.token_server import ServerThread, TokenServer, build_app


@pytest.fixture(scope="session")
def token_server() -> Iterator[TokenServer]:
    """The skills' OAuth token endpoint, shared by every test (each test uses its own codes)."""
    server = TokenServer(base_url="")
    thread = ServerThread(build_app(server))
    server.base_url = f"http://127.0.0.1:{thread.port}"
    thread.start()
    yield server
    thread.stop()
