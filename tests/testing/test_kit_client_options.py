"""`server.client()` / `server.async_client()` given a keyword the server decides (`base_url`,
`endpoints`, `ca_file`) says so in its own name (re-verification of 2026-12-06: `Client()` raised
"got multiple values for keyword argument 'ca_file'")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localexa.testing.clients import SERVER_DECIDES, make_async_client, make_client


class _Server:
    admin_key = "k"
    url = "http://127.0.0.1:9"
    ca_file: Path | None = None

    def require_running(self) -> None:
        raise AssertionError("the options are checked before the server is")

    def raise_if_exited(self, *, grace: float) -> None:
        return None


@pytest.mark.parametrize("name", SERVER_DECIDES)
@pytest.mark.parametrize(
    ("make", "call"), [(make_client, "server.client"), (make_async_client, "server.async_client")]
)
def test_a_keyword_the_server_decides_is_refused_by_name(make: Any, call: str, name: str) -> None:
    with pytest.raises(TypeError, match=rf"^{call}\(\) takes no {name}: the server decides it"):
        make(_Server(), {name: "x"})
