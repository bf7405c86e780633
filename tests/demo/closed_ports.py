"""Ports held shut for a demo test: a demo moves only off addresses where nothing answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager


@contextmanager
def closed_ports(*ports: int) -> Iterator[None]:
    """The ports bound and never listening: a connection to them is refused, and no other server
    of the machine can listen there meanwhile. Once another xdist worker's server had taken the
    first port of a test's block, and the demo rightly stayed where something answered (CI of
    2026-12-08)."""
    with ExitStack() as held:
        for port in ports:
            bound = held.enter_context(socket.socket())
            bound.bind(("127.0.0.1", port))
        yield
