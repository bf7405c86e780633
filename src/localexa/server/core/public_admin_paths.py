"""Which paths under `/_localexa/` answer without the admin key (admin-api.md: every call there
but health needs it; the README names the others: readiness, the API description and its page,
the demo's callback). Every other path, known or not, asks for the key before it says more."""

from __future__ import annotations

_PREFIX = "/_localexa/"
_OPEN = frozenset({"/_localexa/health", "/_localexa/ready", "/_localexa/openapi.json", "/_localexa/docs"})
_OPEN_UNDER = ("/_localexa/docs/", "/_localexa/demo/")


def admin_key_first(path: str) -> bool:
    """Whether an answer for `path` (a 404 or 405 included) needs the admin key first."""
    lowered = path.lower()
    return lowered.startswith(_PREFIX) and lowered not in _OPEN and not lowered.startswith(_OPEN_UNDER)
