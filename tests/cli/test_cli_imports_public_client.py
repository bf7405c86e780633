"""The CLI imports only the client's public names: no `_`-prefixed module of localexa.client
(`_core`, `_endpoints`, `_errors`, …) and no `_`-prefixed name from any of its modules. It
imported `UNTRUSTED_CA_FIX` from `_core.py`, `_shown` from `_endpoints.py` and `CaFileError` from
`_errors.py` until 2026-12-06 (night); they are `localexa.client.messages` (`UNTRUSTED_CA_FIX`,
`shown_url`) and `localexa.client.CaFileError` now. Read from the source with ast, so an import
inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import localexa.cli
import localexa.client
import localexa.client.messages

CLI = Path(localexa.cli.__file__).parent
CLIENT = "localexa.client"


def _private_client_imports(source: str) -> list[str]:
    """`module:name` of each import from the client's private parts in `source`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            names = []
        else:
            continue
        for module in modules:
            if module != CLIENT and not module.startswith(CLIENT + "."):
                continue
            parts = module.split(".")
            private = [part for part in parts if part.startswith("_")]
            private += [name for name in names if name.startswith("_")]
            # `from localexa.client import _core` names a private module as a name.
            found += [f"{module}:{name}" for name in private]
    return found


def test_the_check_finds_what_the_cli_imported() -> None:
    """The check itself, on the imports the CLI had."""
    before = (
        "from localexa.client._core import UNTRUSTED_CA_FIX\n"
        "def f():\n    from localexa.client._endpoints import _shown\n"
        "import localexa.client._errors\n"
        "from localexa.client import _core\n"
    )
    assert sorted(_private_client_imports(before)) == [
        "localexa.client._core:_core",
        "localexa.client._endpoints:_endpoints",
        "localexa.client._endpoints:_shown",
        "localexa.client._errors:_errors",
        "localexa.client:_core",
    ]
    after = (
        "from localexa.client import CaFileError, Client\n"
        "from localexa.client.messages import UNTRUSTED_CA_FIX, shown_url\n"
        "from localexa.client.types.evaluations import Evaluation\n"
        "from localexa.idna_hosts import url_host_fault\n"
    )
    assert _private_client_imports(after) == []


def test_the_cli_imports_no_private_name_of_the_client() -> None:
    modules = sorted(CLI.rglob("*.py"))
    assert len(modules) > 20  # the whole CLI was read
    found = {
        str(path.relative_to(CLI)): bad
        for path in modules
        if (bad := _private_client_imports(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_what_the_cli_uses_is_public() -> None:
    """The names it imports are documented exports: the package's `__all__` and the module's."""
    assert "CaFileError" in localexa.client.__all__
    assert issubclass(localexa.client.CaFileError, localexa.client.ConfigurationError)
    assert {"UNTRUSTED_CA_FIX", "redact", "shown_url"} <= set(localexa.client.messages.__all__)
    for name in localexa.client.messages.__all__:
        assert name in (localexa.client.messages.__doc__ or ""), name
