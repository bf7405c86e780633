"""Free TCP ports for a server that listens on three neighbours (NA, EU, FE: port, port+1, port+2).

A port found free can be taken by someone else before the server binds it, so the caller retries
with another base when the server fails to bind (server.py does). Bases are drawn below Linux's
ephemeral range (32768+), where outgoing connections take their local ports.

`LOCALEXA_TEST_PORTS=LOW-HIGH` (inclusive) confines every port the kit listens on to a range of
your own: a CI host that opens only some ports, or several suites on one machine kept apart.
"""

from __future__ import annotations

import os
import random
import re
import socket

__all__ = ["PORTS_VARIABLE", "PortRangeTooNarrowError", "check_room", "free_port_block", "port_range"]

LOW, HIGH = 20000, 32000
PORTS_VARIABLE = "LOCALEXA_TEST_PORTS"
#: ASCII digits only: str.isdigit() also takes "²", which int() then refused with its own message.
_DIGITS = re.compile(r"[0-9]{1,5}")


def port_range() -> tuple[int, int]:
    """The ports the kit may listen on, inclusive: `LOCALEXA_TEST_PORTS` or 20000–31999. A value
    that is no `LOW-HIGH` range of ports is a ValueError saying so (not a silent default)."""
    text = os.environ.get(PORTS_VARIABLE, "").strip()
    if not text:
        return LOW, HIGH - 1
    low_text, dash, high_text = text.partition("-")
    if dash and _DIGITS.fullmatch(low_text.strip()) and _DIGITS.fullmatch(high_text.strip()):
        low, high = int(low_text), int(high_text)
        if 1 <= low <= high <= 65535:
            return low, high
    raise ValueError(f"{PORTS_VARIABLE}={text!r} is not a range of ports such as 18000-18999.")


class PortRangeTooNarrowError(ValueError):
    """`LOCALEXA_TEST_PORTS` is a range, but one too small for the ports needed
    (`LocalexaServer.start()` raises it as LocalexaServerError)."""


def check_room(size: int) -> tuple[int, int]:
    """The range (`port_range()`), or PortRangeTooNarrowError when it holds fewer than `size`."""
    low, high = port_range()
    if high - low + 1 < size:
        raise PortRangeTooNarrowError(
            f"{PORTS_VARIABLE}: {low}-{high} holds fewer than the {size} ports needed."
        )
    return low, high


def _bindable(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As the servers bind (uvicorn, http.server): a port a closed connection left in TIME_WAIT
        # is free to them, and counted as taken here a narrow LOCALEXA_TEST_PORTS failed for 60 s
        # after each run.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port_block(host: str = "127.0.0.1", size: int = 3, attempts: int = 200) -> int:
    """The first of `size` consecutive ports that are free on `host` right now."""
    low, high = check_room(size)
    rng = random.SystemRandom()
    for _ in range(attempts):
        base = rng.randint(low, high - size + 1)
        if all(_bindable(host, base + offset) for offset in range(size)):
            return base
    raise OSError(f"no {size} consecutive free ports found on {host} between {low} and {high}")
