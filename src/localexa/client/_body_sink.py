"""An answer's body written somewhere as it arrives instead of held whole: `ApiRequest.into`.

A snapshot of a big server is tens of megabytes (85 MB for 200,000 tokens) and the server writes
it as it reads it; `client.admin.snapshot()` holds it whole, parsed, which takes several times
its size. A request with a sink is sent with httpx's `stream=True`: an answer in error is read
whole (it is small, and its APIStatusError needs it) and retried as any; a 2xx goes to the sink,
chunk by chunk (`_sync.py`, `_async.py`). Once its bytes flow, an answer cut short is not sent
again: what the sink took cannot be taken back, so the cut is the caller's APIConnectionError.
"""

from __future__ import annotations

from typing import Protocol

import httpx


class BodySink(Protocol):
    def begin(self, response: httpx.Response) -> None:
        """The answer's status and headers, before its first byte; raises
        `APIResponseValidationError` for an answer the sink cannot take."""

    def write(self, chunk: bytes) -> None:
        """The next bytes of the body (decoded from any Content-Encoding)."""

    def end(self) -> None:
        """The body arrived whole (the transfer ended as HTTP says it must); raises
        `APIResponseValidationError` when what arrived is not what the sink takes."""
