"""Two `localexa serve --demo` processes started at the same moment on one new PostgreSQL database.

Each has its own data dir (and so its own `demo.json`); they share the database, the admin key and
the secret key. Both must come up and serve, the database must hold exactly one demo set, and both
must print (and keep) the same walk-through: ids and secrets that work on either process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localexa.server.admin.demo import CUSTOMER_EMAIL, DEVELOPER_EMAIL
from tests.scale.processes import (
    ServerProcess,
    postgres_database,
    postgres_unreachable_reason,
    query,
    running,
    shared_secrets,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_pair(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess, str]]:
    reason = postgres_unreachable_reason()
    if reason:
        pytest.skip(f"needs PostgreSQL: {reason}")
    keys = shared_secrets()
    env = {"LOCALEXA_SECRET_KEY": keys["secret_key"], "LOCALEXA_PASSWORD_HASH_N": "1024"}
    with postgres_database("localexa_two_demos") as url:
        a = ServerProcess(tmp_path / "a", keys["admin_key"], env, database_url=url, demo=True)
        b = ServerProcess(tmp_path / "b", keys["admin_key"], env, database_url=url, demo=True)
        try:
            with running(a, b):  # launched together: they migrate and seed at the same moment
                yield a, b, url
        except RuntimeError as exc:  # one exited or never became healthy: say which, with its log
            pytest.fail(f"a --demo process did not come up: {exc}")


def _count(url: str, sql: str) -> int:
    return int(query(url, sql)[0][0])


def test_two_demo_processes_on_one_new_database_share_one_demo(
    demo_pair: tuple[ServerProcess, ServerProcess, str],
) -> None:
    a, b, url = demo_pair
    # Exactly one demo set.
    assert _count(url, f"SELECT count(*) FROM customers WHERE email = '{CUSTOMER_EMAIL}'") == 1
    assert _count(url, f"SELECT count(*) FROM customers WHERE email = '{DEVELOPER_EMAIL}'") == 1
    assert _count(url, "SELECT count(*) FROM customers") == 2
    assert _count(url, "SELECT count(*) FROM vendors") == 1
    assert _count(url, "SELECT count(*) FROM skills") == 1
    # The app's client, the skill's messaging client and its Alexa client (app-to-app linking).
    assert _count(url, "SELECT count(*) FROM lwa_clients") == 3
    # Both keep and print the same walk-through.
    states: list[dict[str, Any]] = [json.loads((s.data_dir / "demo.json").read_text()) for s in (a, b)]
    assert states[0] == states[1]
    state = states[0]
    for server in (a, b):
        assert state["skill_id"] in server.log(), server.log()
        assert "Traceback" not in server.log(), server.log()
    # Both send the user to the callback and the My Lights the shared records name (the seeding
    # process's): the other process printed its own, and its steps 1 and 3 were refused.
    [(endpoint,)] = query(url, "SELECT endpoint FROM skills")
    [(redirects,)] = query(
        url, "SELECT redirect_uris FROM lwa_clients WHERE client_id = :id", id=state["app_client_id"]
    )
    callback = (json.loads(redirects) if isinstance(redirects, str) else redirects)[0]
    for server in (a, b):
        log = server.log()
        assert f"redirect_uri={callback}" in log, log
        assert f"redirect_uri%3D{callback}" not in log
        assert f"(device cloud on {endpoint.removesuffix('/skill')})" in log, log
    # Its ids and secrets work on either process: the customer is there, the app's secret
    # refreshes the app's token, the skill's messaging secret gets a skill-messaging token.
    for server in (a, b):
        with server.client() as http:
            got = http.get(f"/_localexa/customers/{state['customer_id']}", headers=server.admin_headers)
            assert got.status_code == 200, got.text
        issued = server.admin(
            "tokens",
            {"clientId": state["app_client_id"], "userId": state["customer_id"], "scopes": ["profile"]},
        )
        with server.client() as http:
            refreshed = http.post(
                "/auth/o2/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": issued["refresh_token"],
                    "client_id": state["app_client_id"],
                    "client_secret": state["app_client_secret"],
                },
            )
            assert refreshed.status_code == 200, refreshed.text
            messaging = http.post(
                "/auth/o2/token",
                data={
                    "grant_type": "client_credentials",
                    "scope": "alexa:skill_messaging",
                    "client_id": state["messaging_client_id"],
                    "client_secret": state["messaging_client_secret"],
                },
            )
            assert messaging.status_code == 200, messaging.text
