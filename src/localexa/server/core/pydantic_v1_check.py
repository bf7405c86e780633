"""FastAPI's check for pydantic 1 models, without importing `pydantic.v1` to answer "no".

FastAPI (0.12x-0.16x) refuses pydantic 1 models: every route's parameter and response types, and
values `jsonable_encoder` meets, are checked with `from pydantic import v1` then `isinstance` /
`issubclass` against `v1.BaseModel`. That import alone loads pydantic's whole 1.x copy (23
modules, ~1.5 MB resident) into every served process, which holds no such model.

A class or value can only be a pydantic 1 model once `pydantic.v1` has been imported (it is
where `v1.BaseModel` lives), so until something else in the process imports it the answer is
`False` without importing it; from then on FastAPI's own check runs unchanged. Nothing changes
for an app (the user's own, in the same process as the pytest plugin) that does use pydantic 1
models: importing them imported `pydantic.v1`.

FastAPI may drop these functions (its TODO: "remove once the required version of Pydantic fully
removes pydantic.v1"); then there is nothing to replace and `install` does nothing.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

#: FastAPI's functions, and the modules that imported them by name (their own reference is what
#: their callers use).
_CHECKS = {
    "is_pydantic_v1_model_class": ("fastapi._compat.shared",),
    "is_pydantic_v1_model_instance": ("fastapi._compat.shared", "fastapi._compat", "fastapi.encoders"),
}

_MARK = "_localexa_defers_pydantic_v1"


def _deferring(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def deferring_check(obj: Any) -> bool:
        return "pydantic.v1" in sys.modules and check(obj)

    setattr(deferring_check, _MARK, True)
    deferring_check.__wrapped__ = check  # type: ignore[attr-defined]
    deferring_check.__name__ = getattr(check, "__name__", "check")
    return deferring_check


def install() -> None:
    """Replace FastAPI's two checks where FastAPI has them (idempotent)."""
    for name, module_names in _CHECKS.items():
        try:
            modules = [importlib.import_module(module_name) for module_name in module_names]
        except ImportError:
            continue  # a FastAPI without these modules: nothing to defer
        original = getattr(modules[0], name, None)
        if original is None or getattr(original, _MARK, False):
            continue
        replacement = _deferring(original)
        for module in modules:
            if getattr(module, name, None) is original:
                setattr(module, name, replacement)
