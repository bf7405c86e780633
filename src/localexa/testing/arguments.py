"""The checks of `LocalexaServer`'s arguments that can be checked before anything starts.

A host that is no address of this machine (`"999.1.1.1"`, a typo of a name) failed only at the
start, as "no 3 consecutive free ports found on 999.1.1.1" after 200 bind attempts, and a
`startup_timeout` of 0 (or below, or NaN) was taken, so every start failed with "did not answer
within 0 s" (cliq QA of 2026-12-07). Both are a ValueError as the server is made, as a
`LOCALEXA_TEST_PORTS` that is no range is (ports.py).
"""

from __future__ import annotations

import math
import socket

__all__ = ["checked_host", "checked_startup_timeout", "url_host"]

_EXAMPLES = "127.0.0.1 (the default), ::1, localhost or 0.0.0.0"


def checked_host(host: object) -> str:
    """`host` when this machine can listen on it (an address of one of its interfaces, or a name
    resolving to one); else a ValueError (TypeError for no string) saying why."""
    if not isinstance(host, str):
        raise TypeError(f"host must be a str such as {_EXAMPLES}, not {type(host).__name__}")
    if not host.strip():
        raise ValueError(f"host={host!r} is no address to listen on: give one such as {_EXAMPLES}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))  # port 0: any free one, released at once
    except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValueError(
            f"host={host!r} is not an address this machine can listen on ({reason}): give one such "
            f"as {_EXAMPLES}"
        ) from None
    return host


def checked_startup_timeout(seconds: object) -> float:
    """`seconds` as a float when it is a finite number above 0; else a ValueError (TypeError for
    no number) saying so."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"startup_timeout must be a number of seconds, not {type(seconds).__name__}")
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(
            f"startup_timeout must be a finite number of seconds above 0 (a start takes 1.5-3 s; "
            f"the default is 60), not {seconds!r}"
        )
    return float(seconds)


def url_host(host: str) -> str:
    """`host` as a URL writes it: an IPv6 address in brackets (`http://[::1]:20000`)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
