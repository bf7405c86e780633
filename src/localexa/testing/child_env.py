"""The environment of `LocalexaServer`'s child process, import path included.

The child inherits `os.environ` but none of the `sys.path` entries the test process gained after
it started: pytest's `pythonpath = ["src"]`, the rootdir and conftest directories it inserts, a
conftest's own `sys.path.insert`. A `python:package.module:function` skill endpoint of a
src-layout project then failed in the server with ModuleNotFoundError (until 2026-12-06).

So the child gets this process's project directories in `LOCALEXA_EXTRA_PYTHONPATH`, which
`localexa serve` appends to its `sys.path` at start (cli/import_path.py): after its own standard
library and site-packages, so a project's `tests/token.py` does not shadow the stdlib's `token`.
Only entries outside this interpreter's own directories (prefixes, stdlib, lib-dynload,
site-packages) are passed: a child of another interpreter (`python=`) must not import this one's
standard library ("SRE module mismatch") or its copies of dependencies. Both happened for part
of 2026-12-06, when the entries went into the child's PYTHONPATH, in front of everything.
A PYTHONPATH in `env=` (or the inherited one) reaches the child as it is.
"""

from __future__ import annotations

import functools
import os
import site
import sys
import sysconfig
from collections.abc import Mapping

from localexa.cli.import_path import EXTRA_VARIABLE

__all__ = ["EXTRA_VARIABLE", "child_environment", "import_path_entries", "missing_hint"]


def _normal(entry: str) -> str:
    return os.path.normcase(os.path.realpath(entry))


@functools.lru_cache(maxsize=1)
def _interpreter_dirs() -> tuple[frozenset[str], tuple[str, ...]]:
    """This interpreter's own directories: (prefixes and their `lib` dirs, whose direct entries
    are its own: `DLLs`, `python311.zip`; trees whose every entry is its own: stdlib,
    lib-dynload, site-packages of the venv and of its base, the user site, the scripts dir).
    Not everything under `sys.prefix`: with a system Python that is `/usr`, and a project in
    `/usr/src/app` is a project."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    parents = {_normal(p) for p in prefixes} | {_normal(os.path.join(p, "lib")) for p in prefixes}
    trees = set(sysconfig.get_paths().values())
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    trees |= set(sysconfig.get_paths(vars=base).values())
    trees |= set(site.getsitepackages()) | {site.getusersitepackages()}
    trees -= prefixes  # "data" is the prefix itself
    return frozenset(parents), tuple(sorted({_normal(t) for t in trees if t}))


def _interpreters_own(normal: str) -> bool:
    parents, trees = _interpreter_dirs()
    if normal in parents or os.path.dirname(normal) in parents:
        return True
    return any(normal == tree or normal.startswith(tree + os.sep) for tree in trees)


def import_path_entries(env: Mapping[str, str]) -> list[str]:
    """The entries of this process's `sys.path` (absolute, in order, existing) that are project
    directories, less those the child gets from the PYTHONPATH of `env`."""
    own = {_normal(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p}
    entries: list[str] = []
    for entry in sys.path:
        if not entry or not os.path.exists(entry):  # "" is the working directory: the child's too
            continue
        normal = _normal(entry)
        if normal in own or _interpreters_own(normal):
            continue
        own.add(normal)
        entries.append(os.path.abspath(entry))
    return entries


def child_environment(
    *, given: Mapping[str, str], settings: Mapping[str, str], admin_key: str
) -> dict[str, str]:
    """The child's environment: this process's without its `LOCALEXA_*` variables, then the
    kit's `settings`, then `given` (`env=`), the admin key last; `LOCALEXA_EXTRA_PYTHONPATH` is
    `env=`'s (if any) followed by this process's project directories (module docstring)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALEXA_")}
    env.update(settings)
    env.update(given)
    env["LOCALEXA_ADMIN_KEY"] = admin_key  # `admin_key=` wins over one in `env=`
    extra = import_path_entries(env)
    if extra:
        given_extra = given.get(EXTRA_VARIABLE)
        env[EXTRA_VARIABLE] = os.pathsep.join([given_extra, *extra] if given_extra else extra)
    return env


def missing_hint(python: str, log_tail: str) -> str:
    """What a child that could not import localexa lacks (`python=` of an interpreter without
    it), for the start failure's message; "" otherwise."""
    if "No module named localexa" in log_tail or "No module named 'localexa'" in log_tail:
        return f" localexa is not installed for {python}."
    return ""
