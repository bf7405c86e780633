"""The console's one router, shared by console/routes.py and console/steer.py.

One router rather than one included in another: FastAPI keeps an included router as a single
opaque entry, which core/families.py cannot see into, so a wrong method's `Allow` would list only
the first page route's methods.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/console", include_in_schema=False)
