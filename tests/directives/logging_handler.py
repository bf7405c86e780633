"""A Lambda-style handler that logs as AWS's docs for Python Lambdas show (the root logger's level
set to INFO, `logger.info(...)`), and through a handler of its own that its module adds when it is
imported; the test of its log is tests/directives/test_handler_logging.py."""

from __future__ import annotations

import logging
from typing import Any

logging.getLogger().setLevel(logging.INFO)
log = logging.getLogger("lights")
# Bound to the `sys.stderr` of the moment it is made: the import, in the first call.
own = logging.getLogger("lights.audit")
own.addHandler(logging.StreamHandler())
own.propagate = False
calls = 0


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global calls
    calls += 1
    log.info("turning on, call %d", calls)
    own.warning("audited call %d", calls)
    print(f"printed in call {calls}")
    return {"calls": calls, "requestId": context.aws_request_id}
