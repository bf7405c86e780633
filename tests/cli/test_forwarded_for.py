"""Whose `X-Forwarded-For` `localexa serve` believes: only LOCALEXA_FORWARDED_ALLOW_IPS's.

uvicorn believed any process on 127.0.0.1 by default, and the sign-in budget is per address: a
local script sending `X-Forwarded-For: 8.8.<n>.1` had a fresh budget per request (20 wrong admin
keys, never a 429), and so did a remote one through a proxy that passes the header on (proxy QA,
2026-12-06). With the proxy named, the address it appends counts, and a client's own
`X-Forwarded-For` in front of it does not."""

from __future__ import annotations

import httpx
import pytest

from localexa.testing import LocalexaServer
from tests.servers import SERVED_LIMITS

pytestmark = pytest.mark.slow
BUDGET = {"LOCALEXA_SIGN_IN_RATE_LIMIT": "3/minute"}


def wrong_keys(server: LocalexaServer, forwarded_for: list[str]) -> list[int]:
    with httpx.Client(limits=SERVED_LIMITS, base_url=server.url) as http:
        return [
            http.get(
                "/_localexa/customers",
                headers={"X-Localexa-Admin-Key": f"guess-{n}", "X-Forwarded-For": address},
            ).status_code
            for n, address in enumerate(forwarded_for)
        ]


def test_by_default_no_forwarded_address_is_believed() -> None:
    with LocalexaServer(env=BUDGET) as server:
        assert wrong_keys(server, [f"8.8.{n}.1" for n in range(5)]) == [401, 401, 401, 429, 429]


def test_a_named_proxy_is_believed_for_the_address_it_appends() -> None:
    with LocalexaServer(env={**BUDGET, "LOCALEXA_FORWARDED_ALLOW_IPS": "127.0.0.1"}) as server:
        # Five clients behind the proxy: five budgets.
        assert wrong_keys(server, [f"203.0.113.{n}" for n in range(5)]) == [401] * 5
        # One client putting its own addresses in front of the one the proxy appends: one budget.
        forged = [f"198.51.100.{n}, 203.0.113.77" for n in range(5)]
        assert wrong_keys(server, forged) == [401, 401, 401, 429, 429]
