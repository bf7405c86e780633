"""The skills' token endpoint of the enablement tests (session-scoped: one server for all)."""

from tests.enablement.conftest import token_server

__all__ = ["token_server"]
