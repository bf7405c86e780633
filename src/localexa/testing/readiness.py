"""Whether the server on a `LocalexaServer`'s port is that server (server.py waits for it)."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path

#: Answers only this server gives: every `/_localexa/` call but health needs its admin key
#: (admin-api.md). The journal's listing is neither journaled nor subject to faults.
READY_PATH = "/_localexa/journal?limit=1"
ADMIN_KEY_HEADER = "X-Localexa-Admin-Key"


def ca_context(ca_file: Path | None) -> ssl.SSLContext | None:
    """A context trusting the server's own CA, once the server has written it (else None)."""
    if ca_file is None or not ca_file.is_file():
        return None
    return ssl.create_default_context(cafile=str(ca_file))


def answers_as_ours(url: str, admin_key: str, context: ssl.SSLContext | None) -> bool:
    """True when the server at `url` is ours: it knows our admin key. Before our child binds, or
    when it never can, another server may answer there (with 401)."""
    request = urllib.request.Request(  # noqa: S310 - our own http(s) URL
        url + READY_PATH, headers={ADMIN_KEY_HEADER: admin_key}
    )
    try:
        with urllib.request.urlopen(request, timeout=2, context=context) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):  # HTTPError (401: not ours) is a URLError
        return False
