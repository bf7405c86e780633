"""Two kit servers given one admin key (`localexa_env = LOCALEXA_ADMIN_KEY=…`, as README asks of
processes sharing a database): when the second draws the ports the first holds (two xdist
workers whose free-port checks raced), its child cannot bind them, and the kit must start again on
other ports, not take the first server, which answers with the same key, for its own.

xdist38 F1 (2026-12-07): it did: that worker's tests and resets went to the other worker's server
(4 runs in 6 broken, another worker's customer in a test's listing). The race is made certain
here: the second server's first port draw returns the first server's port.
"""

from __future__ import annotations

import pytest

from localexa.testing import Localexa, LocalexaServer
from localexa.testing import server as server_module
from localexa.testing.ports import free_port_block

KEY = "one-key-for-every-worker"


def test_a_server_answering_with_our_key_on_our_port_is_not_taken_for_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalexaServer(admin_key=KEY) as first, Localexa(first) as first_kit:
        first_kit.create_customer()
        draws = iter([first.port])
        monkeypatch.setattr(
            server_module, "free_port_block", lambda host: next(draws, None) or free_port_block(host)
        )
        with LocalexaServer(admin_key=KEY) as second, Localexa(second) as second_kit:
            assert second.port != first.port
            assert second_kit.client.admin.customers.list() == []
        assert len(first_kit.client.admin.customers.list()) == 1
