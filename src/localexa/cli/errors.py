"""Errors the CLI raises itself (kept apart from context.py, which must not import the client:
`localexa serve` loads context.py and should not pay for the client's import)."""

from __future__ import annotations

from localexa.client import LocalexaClientError

__all__ = ["MissingCredentials"]


class MissingCredentials(LocalexaClientError):
    """A command needs a token or the admin key and none was given (exit code 4, like a 401)."""
