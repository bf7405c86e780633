"""The server: one ASGI app (app.py) playing every Amazon host, one package per API area.

Its routes are declared as their modules are imported, and FastAPI checks each route's types for
pydantic 1 models as it is declared: the check is made here, before any of them, to answer
without importing `pydantic.v1` (core/pydantic_v1_check.py).
"""

from localexa.server.core.pydantic_v1_check import install as _defer_pydantic_v1_check

_defer_pydantic_v1_check()
