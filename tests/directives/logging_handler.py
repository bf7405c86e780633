"""A Lambda-style handler whose module configures `logging` when it is imported, as many handlers
do (`logging.basicConfig`); the test of its log is tests/directives/test_handler_logging.py."""

from __future__ import annotations

import logging
from typing import Any

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
log = logging.getLogger("lights")
calls = 0


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global calls
    calls += 1
    log.info("turning on, call %d", calls)
    print(f"printed in call {calls}")
    return {"calls": calls}
