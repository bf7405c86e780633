"""httpx without its command-line client loaded at import.

httpx's package `__init__` imports `httpx._main` (the `httpx` command) to export `httpx.main`, and
that module imports Rich and Pygments whenever both are installed, which they always are beside
localexa (Typer needs Rich, Rich needs Pygments). Every process that imports httpx paid for a
command it never runs: 4 MB of resident memory and ~40 ms of import (measured in a new
interpreter on top of FastAPI and SQLAlchemy: 5.9 → 1.8 MB, 57 → 17 ms). That is the served demo
(My Lights calls out with httpx), every client and skill-kit user, every CLI call and test run.

`defer()` adds a one-shot import finder: the first import of `httpx._main` (httpx's own, from its
`__init__`) gets a stand-in, and the finder removes itself. The stand-in's `main` (what
`httpx.main` becomes) and any other attribute load the real module on first use, so
`httpx.main()`, `from httpx._main import print_response` and the `httpx` command (its own
process, which never imports localexa) behave as without it. Until httpx is imported nothing of
it is in `sys.modules`; where httpx is already imported, `defer()` does nothing.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any

MODULE = "httpx._main"


def _real() -> types.ModuleType:
    """The real `httpx._main`, imported once in place of the stand-in."""
    module = sys.modules.get(MODULE)
    if isinstance(module, _StandIn):
        del sys.modules[MODULE]
        module = importlib.import_module(MODULE)
    assert module is not None
    return module


class _StandIn(types.ModuleType):
    """`httpx._main` until something other than httpx's own import asks for it."""

    def __getattr__(self, name: str) -> Any:  # only called for names the stand-in lacks
        if name.startswith("__"):
            # What the import system, repr() and inspect look for (`__file__`, `__path__`):
            # answered for the stand-in, not by loading the command.
            raise AttributeError(name)
        return getattr(_real(), name)


def _main(*args: Any, **kwargs: Any) -> Any:
    """httpx's command line (`httpx.main`), loaded when called."""
    return _real().main(*args, **kwargs)


class _StandInLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _StandIn(spec.name, "httpx's command-line client, imported on first use (localexa._httpx_cli)")

    def exec_module(self, module: types.ModuleType) -> None:
        module.main = _main  # type: ignore[attr-defined]


class _StandInFinder(importlib.abc.MetaPathFinder):
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
        return importlib.util.spec_from_loader(MODULE, _StandInLoader())


def defer() -> None:
    """Install the one-shot finder, unless httpx (or its command) is imported already."""
    if "httpx" in sys.modules or MODULE in sys.modules:
        return
    if not any(isinstance(finder, _StandInFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _StandInFinder())
