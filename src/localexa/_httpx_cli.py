"""httpx without its command-line client loaded at import.

httpx's package `__init__` imports `httpx._main` (the `httpx` command) to export `httpx.main`, and
that module imports Rich and Pygments whenever both are installed, which they always are beside
localexa (Typer needs Rich, Rich needs Pygments). Every process that imports httpx paid for a
command it never runs: 4 MB of resident memory and ~40 ms of import (measured in a new
interpreter on top of FastAPI and SQLAlchemy: 5.9 → 1.8 MB, 57 → 17 ms). That is the served demo
(My Lights calls out with httpx), every client and skill-kit user, every CLI call and test run.

`defer()` adds a one-shot import finder: the first import of `httpx._main` (httpx's own, from its
`__init__`) gets a stand-in module, and the finder removes itself. `httpx.main` is then a proxy of
the Click command: calling it, or reading any of its attributes (`CliRunner().invoke(httpx.main,
…)` reads `name`), imports the real module, and from then on `httpx.main` and
`sys.modules["httpx._main"]` are the real ones. A name of the stand-in module (`from httpx._main
import print_response`) loads it the same way. Until httpx is imported nothing of it is in
`sys.modules`; where httpx is already imported, or its command could not be imported anyway
(click, Rich or Pygments missing: httpx's own fallback `main` then says so), `defer()` does
nothing. Left as they are until first use: `isinstance(httpx.main, click.Command)` is False and
`from httpx._main import *` takes only `main`.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Sequence
from typing import Any

MODULE = "httpx._main"
#: What `httpx._main` imports beside httpx; without any of them httpx's import of it fails.
COMMAND_NEEDS = ("click", "rich", "pygments")

#: One thread imports the real module; others asking at once wait for it.
_loading = threading.Lock()


def _real() -> types.ModuleType:
    """The real `httpx._main`, imported once in place of the stand-in."""
    with _loading:
        module = sys.modules.get(MODULE)
        if module is None or isinstance(module, _StandIn):
            sys.modules.pop(MODULE, None)
            module = importlib.import_module(MODULE)
            httpx = sys.modules.get("httpx")
            if httpx is not None and isinstance(getattr(httpx, "main", None), _LazyCommand):
                setattr(httpx, "main", module.main)  # noqa: B010 (httpx.main is typed as the function)
        return module


def _is_dunder(name: str) -> bool:
    # What the import system, repr(), inspect and pickle look up (`__file__`, `__wrapped__`):
    # answered by the stand-ins themselves, not by loading the command.
    return name.startswith("__") and name.endswith("__")


class _StandIn(types.ModuleType):
    """`httpx._main` until something other than httpx's own import asks for it."""

    def __getattr__(self, name: str) -> Any:  # only called for names the stand-in lacks
        if _is_dunder(name):
            raise AttributeError(name)
        return getattr(_real(), name)


class _LazyCommand:
    """`httpx.main` until first use: httpx's Click command, imported when called or read."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _real().main(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # only called for names the proxy lacks
        if _is_dunder(name):
            raise AttributeError(name)
        return getattr(_real().main, name)


class _StandInLoader:
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _StandIn(spec.name, "httpx's command-line client, imported on first use (localexa._httpx_cli)")

    def exec_module(self, module: types.ModuleType) -> None:
        module.main = _LazyCommand()  # type: ignore[attr-defined]


class _StandInFinder:
    """Answers the first import of `httpx._main` with the stand-in, then steps aside."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != MODULE:
            return None
        sys.meta_path.remove(self)  # later imports (`_real()`) find the real module
        # Duck-typed, as the import system takes it: importlib.abc's base classes cost ~20 ms of
        # every start (importlib.resources), before the CLI's Ctrl-C guard (cli/entry.py) is on.
        return importlib.util.spec_from_loader(MODULE, _StandInLoader())  # type: ignore[arg-type]


def defer() -> None:
    """Install the one-shot finder, unless httpx (or its command) is imported already or its
    command could not be imported."""
    if "httpx" in sys.modules or MODULE in sys.modules:
        return
    if any(importlib.util.find_spec(name) is None for name in COMMAND_NEEDS):
        return
    if not any(isinstance(finder, _StandInFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _StandInFinder())
