"""`localexa serve`'s option bounds and defaults, in a module that imports nothing.

Its `--help` shows them, and took them from the server's Settings and uvicorn's wire modules: the
help imported FastAPI, pydantic-settings and uvicorn, 0.73 s against 0.22 s for the root's (session
36's note). Settings keeps its own copy (a server built in code has no CLI):
tests/cli/test_main.py checks the two agree.
"""

from __future__ import annotations

#: The highest TCP port.
MAX_PORT = 65535
#: Python's levels, plus uvicorn's TRACE (registered when uvicorn is imported).
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
#: `--client-timeout` and `--idle-timeout` when not given: Settings' own defaults.
DEFAULT_CLIENT_TIMEOUT = 10.0
DEFAULT_IDLE_TIMEOUT = 5
#: The longest `--client-timeout`, a day: `inf`, taken until the night of 2026-12-06, let a client
#: that paused its body for ever keep SIGTERM from stopping the server (uvicorn waits for it).
MAX_CLIENT_TIMEOUT = 86_400.0
#: `--stop-grace`'s bounds: a tenth of a second to ten minutes (Settings.stop_grace's).
STOP_GRACE_BOUNDS = (0.1, 600.0)
#: The longest a stopping server waits for a request still arriving (its head or its body),
#: unless told (`--stop-grace`).
STOP_GRACE_SECONDS = 5.0
#: `LOCALEXA_FORCE_STOP_SECONDS`'s bound (cli/serve_servers.py).
MAX_FORCE_STOP_SECONDS = 60.0
