"""The environment of `LocalexaServer`'s child process, import path included.

The child inherits `os.environ` but none of the `sys.path` entries the test process gained after
it started: pytest's `pythonpath = ["src"]`, the rootdir and conftest directories it inserts, a
conftest's own `sys.path.insert`. A `python:package.module:function` skill endpoint of a
src-layout project then failed in the server with ModuleNotFoundError (until 2026-12-06). So the
child's PYTHONPATH carries every entry of this process's `sys.path` that the child would not have
by itself; what the child has by itself (its interpreter's standard library, site-packages and
their `.pth` entries, an inherited PYTHONPATH) is asked of the child's interpreter once (about
30 ms) and remembered.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Mapping

__all__ = ["child_environment", "import_path_entries"]

#: What decides the path an interpreter starts with, besides the interpreter itself.
_PATH_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONSAFEPATH")
_PROBE = "import json, sys; print(json.dumps(sys.path))"


def _normal(entry: str) -> str:
    return os.path.normcase(os.path.realpath(entry))


@functools.lru_cache(maxsize=8)
def _own_path(python: str, path_settings: tuple[tuple[str, str], ...]) -> frozenset[str]:
    """The `sys.path` `python` starts with under these settings (normalized)."""
    env = {k: v for k, v in os.environ.items() if k not in _PATH_VARIABLES}
    env.update(path_settings)
    try:
        answer = subprocess.run(  # noqa: S603 - the interpreter the server runs with, our own code
            [python, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=30, check=True
        )
        entries = [str(entry) for entry in json.loads(answer.stdout)]
    except (OSError, subprocess.SubprocessError, ValueError):
        # An interpreter that cannot answer cannot serve either (start() says why): count this
        # process's own standard library and site-packages as the child's.
        entries = [path for name, path in sysconfig.get_paths().items() if name != "scripts"]
    return frozenset(_normal(entry) for entry in entries if entry)


def import_path_entries(python: str, env: Mapping[str, str]) -> list[str]:
    """The entries of this process's `sys.path` (absolute, in order, existing) that `python`
    started with `env` would not have: what the child needs to import what the tests import."""
    settings = tuple((name, env[name]) for name in _PATH_VARIABLES if name in env)
    own = _own_path(python, settings) | {_normal(sysconfig.get_paths()["scripts"])}
    entries: list[str] = []
    seen: set[str] = set()
    for entry in sys.path:
        if not entry or not os.path.exists(entry):  # "" is the working directory: the child's too
            continue
        normal = _normal(entry)
        if normal in own or normal in seen:
            continue
        seen.add(normal)
        entries.append(os.path.abspath(entry))
    return entries


def child_environment(
    *, python: str, given: Mapping[str, str], settings: Mapping[str, str], admin_key: str
) -> dict[str, str]:
    """The child's environment: this process's without its `LOCALEXA_*` variables, then the
    kit's `settings`, then `given` (`env=`), the admin key last; PYTHONPATH is `env=`'s (else the
    inherited one) with this process's import path put in (see the module's docstring)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALEXA_")}
    env.update(settings)
    env.update(given)
    env["LOCALEXA_ADMIN_KEY"] = admin_key  # `admin_key=` wins over one in `env=`
    extra = import_path_entries(python, env)
    if extra:
        # env='s PYTHONPATH first (what the caller asked for wins), then the test process's
        # entries in its order; an inherited PYTHONPATH last, as it comes after them in sys.path.
        given_path, inherited = given.get("PYTHONPATH"), os.environ.get("PYTHONPATH")
        parts = [given_path] if given_path else []
        parts += extra
        if given_path is None and inherited:
            parts.append(inherited)
        env["PYTHONPATH"] = os.pathsep.join(parts)
    return env
