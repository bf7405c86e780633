"""`LOCALEXA_EXTRA_PYTHONPATH`: directories `localexa serve` appends to its `sys.path` at start.

Unlike PYTHONPATH, whose entries come before the standard library, these come after the
interpreter's own standard library and site-packages: a project directory holding a `token.py`
or `types.py` cannot shadow the stdlib's. The testing kit passes the test process's project
directories this way (testing/child_env.py); the Lambda-style workers of `python:` endpoints get
the server's whole `sys.path`, these entries included, in this order (lambda_pool.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

EXTRA_VARIABLE = "LOCALEXA_EXTRA_PYTHONPATH"


def append_extra_import_path(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Append the entries of `LOCALEXA_EXTRA_PYTHONPATH` not yet in `sys.path`; returns them."""
    added: list[str] = []
    for entry in environ.get(EXTRA_VARIABLE, "").split(os.pathsep):
        if entry and entry not in sys.path:
            sys.path.append(entry)
            added.append(entry)
    return added
