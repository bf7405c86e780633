"""What an app keeps on `app.state` that more than one start-up step may need first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def made_once(state: Any, name: str, make: Callable[[], T]) -> T:
    """`state.<name>`, made with `make()` and kept there by whichever step asks first: other areas'
    start-up steps may need it before the lifespan of the area that owns it runs."""
    found: T | None = getattr(state, name, None)
    if found is None:
        found = make()
        setattr(state, name, found)
    return found
