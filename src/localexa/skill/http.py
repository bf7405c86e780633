"""The kit's outbound HTTP clients: one short-lived client per call, so the kit works under any
event loop (a Lambda-style call may bring a fresh loop each time), sharing one TLS context,
since building that context is the costly part (about 40 ms; the client itself is cheap)."""

from __future__ import annotations

import ssl
from functools import cache
from pathlib import Path

import httpx


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def new_client(transport: httpx.AsyncBaseTransport | None, timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, timeout=timeout, verify=_tls())


def trust_ca_file(path: str | Path) -> None:
    """Also trust this PEM CA bundle for the kit's calls made in this process (a local LWA and
    event gateway over HTTPS: `localexa serve --tls` adds its own CA for the demo's My Lights)."""
    _tls().load_verify_locations(cafile=str(path))
