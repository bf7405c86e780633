"""An answer its client reads nothing of ends the connection (cli/wire.py's guard).

uvicorn's task waited for ever to write an answer whose client read nothing: its transport's
buffer stayed full, and the connection, its task and the answer were held until the process
stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class UnreadAnswer:
    """Armed when the transport's write buffer fills (`paused`), disarmed when it drains
    (`cancel`): when the client has read nothing of what waits for the client timeout, `give_up`
    runs. A client that reads slowly, but reads, gets another while each time."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        timeout: float,
        unsent: Callable[[], int],
        give_up: Callable[[], None],
    ) -> None:
        self.loop = loop
        self.timeout = timeout
        self.unsent = unsent  # bytes of answers not yet handed to the socket
        self.give_up = give_up
        self.timer: asyncio.TimerHandle | None = None
        self.left = 0  # bytes unsent when the timer was last armed

    def paused(self) -> None:
        self.cancel()
        self.left = self.unsent()
        self.timer = self.loop.call_later(self.timeout, self._check)

    def hurry(self, timeout: float) -> None:
        """The server stops: the client may read nothing for `timeout` at most from now on (a
        client that reads nothing kept a stopping server for the client timeout, up to a day)."""
        self.timeout = min(self.timeout, timeout)
        if self.timer is not None:
            self.paused()

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _check(self) -> None:
        self.timer = None
        unsent = self.unsent()
        if unsent < self.left:  # read slowly, but read: give it another while
            self.left = unsent
            self.timer = self.loop.call_later(self.timeout, self._check)
            return
        self.give_up()
