"""Two `localexa serve` processes on one PostgreSQL database and one Redis, for the whole module.

Both get the same admin key and secret key (so a token hashed by one verifies on the other) and
their own data dir and ports. They start together, so they also race the migration at start
(db/migrate.py takes turns with an advisory lock). A My Lights sample (its OAuth server and its
skill endpoint) runs in a thread as the skill side of account linking and evaluations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from localexa.samples.mylights import DeviceCloud, MyLightsConfig, create_mylights_app
from tests.scale.processes import (
    ServerProcess,
    postgres_database,
    postgres_unreachable_reason,
    redis_unreachable_reason,
    redis_url_for_test,
    running,
    shared_secrets,
)
from tests.servers import serve_in_thread

#: Tiny on purpose: the rate-limit test spends it across both processes. Every other test stays
#: far below it per (operation, caller), and each test uses callers of its own.
RATE_LIMIT = "20/minute"
MYLIGHTS_CLIENT_ID = "alexa-skill"
MYLIGHTS_SECRET = "mylights-secret"
REDIRECT = "https://app.example.com/alexa"


@dataclass
class Pair:
    a: ServerProcess
    b: ServerProcess
    database_url: str

    def both(self) -> tuple[ServerProcess, ServerProcess]:
        return self.a, self.b


@dataclass
class MyLights:
    url: str
    cloud: DeviceCloud

    def account_linking(self) -> dict[str, object]:
        return {
            "type": "AUTH_CODE",
            "authorizationUrl": f"{self.url}/authorize",
            "accessTokenUrl": f"{self.url}/token",
            "clientId": MYLIGHTS_CLIENT_ID,
            "clientSecret": MYLIGHTS_SECRET,
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["lights"],
            "redirectUrls": [REDIRECT],
        }

    def auth_code(self) -> str:
        return self.cloud.oauth.issue_code("demo", MYLIGHTS_CLIENT_ID, REDIRECT, "lights")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    for reason in (postgres_unreachable_reason(), redis_unreachable_reason()):
        if reason:
            pytest.skip(f"two-process tests need PostgreSQL and Redis: {reason}")
    root: Path = tmp_path_factory.mktemp("scale")
    keys = shared_secrets()
    env = {
        "LOCALEXA_SECRET_KEY": keys["secret_key"],
        "LOCALEXA_REDIS_URL": redis_url_for_test(),
        "LOCALEXA_RATE_LIMIT": RATE_LIMIT,
        "LOCALEXA_PASSWORD_HASH_N": "1024",
    }
    with postgres_database("localexa_scale") as url:
        a = ServerProcess(root / "a", keys["admin_key"], env, database_url=url)
        b = ServerProcess(root / "b", keys["admin_key"], env, database_url=url)
        with running(a, b):
            yield Pair(a, b, url)


@pytest.fixture(scope="module")
def mylights() -> Iterator[MyLights]:
    config = MyLightsConfig(
        client_id=MYLIGHTS_CLIENT_ID, client_secret=MYLIGHTS_SECRET, send_change_reports=False
    )
    cloud = DeviceCloud(config)
    with serve_in_thread(create_mylights_app(cloud=cloud)) as url:
        yield MyLights(url, cloud)
