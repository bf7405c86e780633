"""Testing kit: run a real localexa server for your tests, and make the accounts they need.

    with LocalexaServer() as server:          # a child process on free ports, fresh database
        with server.client() as client: ...

    def test_it(localexa):                     # the pytest plugin's fixture (pytest_plugin.py)
        skill = localexa.create_skill(account_linking=True)

Names are imported on first use, so `import localexa.testing` (which pytest does when it loads
the plugin) imports neither the client nor anything else heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localexa.testing.kit import Localexa, TestCustomer, TestDeveloper, TestSkill
    from localexa.testing.linking import AccountLinkingStub
    from localexa.testing.server import LocalexaServer, LocalexaServerError

__all__ = [
    "AccountLinkingStub",
    "Localexa",
    "LocalexaServer",
    "LocalexaServerError",
    "TestCustomer",
    "TestDeveloper",
    "TestSkill",
]

_WHERE = {
    "AccountLinkingStub": "localexa.testing.linking",
    "Localexa": "localexa.testing.kit",
    "LocalexaServer": "localexa.testing.server",
    "LocalexaServerError": "localexa.testing.server",
    "TestCustomer": "localexa.testing.kit",
    "TestDeveloper": "localexa.testing.kit",
    "TestSkill": "localexa.testing.kit",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'localexa.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, the lazily imported ones included (`dir()`, completion), since
    2026-12-06; not this module's own imports and helpers (Any, importlib, _WHERE, …)."""
    return sorted(__all__)
