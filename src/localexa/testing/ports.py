"""Free TCP ports for a server that listens on three neighbours (NA, EU, FE: port, port+1, port+2).

A port found free can be taken by someone else before the server binds it, so the caller retries
with another base when the server fails to bind (server.py does). Bases are drawn below Linux's
ephemeral range (32768+), where outgoing connections take their local ports.
"""

from __future__ import annotations

import random
import socket

__all__ = ["free_port_block"]

LOW, HIGH = 20000, 32000


def _bindable(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port_block(host: str = "127.0.0.1", size: int = 3, attempts: int = 200) -> int:
    """The first of `size` consecutive ports that are free on `host` right now."""
    rng = random.SystemRandom()
    for _ in range(attempts):
        base = rng.randrange(LOW, HIGH - size)
        if all(_bindable(host, base + offset) for offset in range(size)):
            return base
    raise OSError(f"no {size} consecutive free ports found on {host} between {LOW} and {HIGH}")
