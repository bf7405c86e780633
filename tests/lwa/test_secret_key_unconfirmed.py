"""An upgraded database whose secret key nothing sealed can confirm is never locked to a wrong key.

Such a database (LWA clients and tokens, no skill: nothing sealed) starts under any key without
recording it (lwa/key_check.py). A process under a wrong key then sealed the demo's skill
secrets, or those of a skill a user created, and from then on the right key was refused at every
start (QA of 2026-12-06). Now the process writes nothing under its key until a secret the
database holds confirms it (lwa/key_confirmation.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, insert, select

from localexa.cli.serve_run import demo_checks, demo_hooks
from localexa.server.app import create_app
from localexa.server.core.crypto import SecretBox
from localexa.server.db.base import DemoSeed
from localexa.server.db.engine import create_engine
from localexa.server.lwa.models import AuthorizationCode, Customer, LwaClient, Token
from localexa.server.lwa.registry import WrongSecretKey
from tests.conftest import ADMIN_KEY
from tests.core.upgrade_data import migrate_to, settings_for
from tests.factories import Admin
from tests.lwa.browser import BASE_URL, REDIRECT_URI, Browser, authorize_url
from tests.lwa.test_secret_key_check import database, start_and_stop, stored_checks

#: The key the database was written with, and another one.
RIGHT = "key-right-" + "0123456789abcdef" * 2
WRONG = "key-wrong-" + "fedcba9876543210" * 2
CLIENT_ID = "amzn1.application-oa2-client.upgraded"
CLIENT_SECRET = "the-app-client-secret"
REFRESH = "Atzr|the-refresh-token-of-an-older-localexa"
ACCESS = "Atza|the-access-token-of-an-older-localexa"
NOT_CONFIRMED = "not confirmed yet"
ADMIN = {"X-Localexa-Admin-Key": ADMIN_KEY}
SKILL_READ = "alexa::ask:skills:read"


@pytest.fixture
def upgraded_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield from database(backend, tmp_path, "keycheck_upgraded")


async def write_upgraded(url: str) -> None:
    """A database of a released localexa (revision 0008) under RIGHT: an app's LWA client, a
    customer and their tokens, and no skill, so nothing sealed tells the key."""
    await migrate_to(url, "0008_expiry_indexes")
    box = SecretBox(RIGHT.encode())
    now = datetime.now(UTC)
    grant = {"client_id": CLIENT_ID, "user_id": "amzn1.account.ADA", "grant_id": "g1", "issued_at": now}
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(Customer).values(
                    id="amzn1.account.ADA",
                    name="Ada",
                    email="ada@example.com",
                    password_hash="x",
                    region="NA",
                    created_at=now,
                )
            )
            await conn.execute(
                insert(LwaClient).values(
                    client_id=CLIENT_ID,
                    name="App",
                    secret_hash=box.hash_token(CLIENT_SECRET),
                    redirect_uris=[REDIRECT_URI],
                    created_at=now,
                )
            )
            await conn.execute(
                insert(Token).values(
                    token_hash=box.hash_token(REFRESH), kind="refresh", scopes="profile", **grant
                )
            )
            await conn.execute(
                insert(Token).values(
                    token_hash=box.hash_token(ACCESS),
                    kind="access",
                    scopes=f"profile {SKILL_READ}",
                    expires_at=now + timedelta(hours=1),
                    **grant,
                )
            )
    finally:
        await engine.dispose()


async def count(url: str, query: Any) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def sealed_client_secrets(url: str) -> int:
    return await count(url, select(func.count()).where(LwaClient.secret_sealed.is_not(None)))


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


async def create_skill(client: httpx.AsyncClient) -> httpx.Response:
    """A developer, their vendor (neither keyed: allowed) and a skill (its secrets sealed)."""
    admin = Admin(client, ADMIN_KEY)
    vendor_id = await admin.vendor(await admin.customer(name="Dev"))
    body = {"vendorId": vendor_id, "name": "Lights", "endpoint": "http://127.0.0.1:9/skill"}
    return await client.post("/_localexa/skills", json=body, headers=ADMIN)


def refused_as_unconfirmed(answer: httpx.Response) -> None:
    assert answer.status_code == 409, answer.text
    message = answer.json()["message"]  # the admin API's own shape
    assert NOT_CONFIRMED in message, message
    assert "/auth/o2/token" in message, message
    assert "POST /_localexa/reset" in message, message


async def refresh(client: httpx.AsyncClient) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    return await client.post("/auth/o2/token", data=form)


async def test_a_wrong_key_start_with_the_demo_seals_nothing_and_the_right_key_still_starts(
    upgraded_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await write_upgraded(upgraded_url)
    settings = settings_for(upgraded_url, tmp_path / "wrong", secret_key=WRONG, demo=True)
    await start_and_stop(
        create_app(settings, startup_hooks=demo_hooks(settings), start_checks=demo_checks(settings))
    )
    assert await stored_checks(upgraded_url) == []
    assert await sealed_client_secrets(upgraded_url) == 0
    assert await count(upgraded_url, select(func.count()).select_from(DemoSeed)) == 0
    await start_and_stop(create_app(settings_for(upgraded_url, tmp_path / "right", secret_key=RIGHT)))
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("demo: not seeded")]
    assert len(said) == 1, caplog.text  # said once, with why and how to confirm
    assert NOT_CONFIRMED in said[0], said
    assert "/auth/o2/token" in said[0], said


async def test_a_wrong_key_process_writes_nothing_under_its_key(upgraded_url: str, tmp_path: Path) -> None:
    await write_upgraded(upgraded_url)
    wrong = create_app(settings_for(upgraded_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client:
        refused_as_unconfirmed(await create_skill(client))
        # Nor anything hashed under the wrong key: it would pass for a proof of that key later.
        app_client = {"name": "App", "redirectUris": [REDIRECT_URI]}
        refused_as_unconfirmed(await client.post("/_localexa/lwa-clients", json=app_client, headers=ADMIN))
        tokens = {"clientId": CLIENT_ID, "userId": "amzn1.account.ADA", "scopes": ["profile"]}
        refused_as_unconfirmed(await client.post("/_localexa/tokens", json=tokens, headers=ADMIN))
        # The right key's secrets do not match this key's hashes: nothing is confirmed.
        assert (await refresh(client)).status_code == 401
        refused_as_unconfirmed(await create_skill(client))
    assert await stored_checks(upgraded_url) == []
    assert await count(upgraded_url, select(func.count()).select_from(LwaClient)) == 1
    assert await count(upgraded_url, select(func.count()).select_from(Token)) == 2
    await start_and_stop(create_app(settings_for(upgraded_url, tmp_path / "right", secret_key=RIGHT)))


async def test_a_refresh_confirms_the_right_key_and_a_skill_can_then_be_created(
    upgraded_url: str, tmp_path: Path
) -> None:
    await write_upgraded(upgraded_url)
    right = create_app(settings_for(upgraded_url, tmp_path / "right", secret_key=RIGHT))
    async with serving(right) as client:
        refused_as_unconfirmed(await create_skill(client))
        answer = await refresh(client)
        assert answer.status_code == 200, answer.text
        created = await create_skill(client)
        assert created.status_code == 201, created.text
    assert len(await stored_checks(upgraded_url)) == 1  # recorded: another key is refused now
    assert await sealed_client_secrets(upgraded_url) == 2
    with pytest.raises(WrongSecretKey):
        await start_and_stop(create_app(settings_for(upgraded_url, tmp_path / "wrong", secret_key=WRONG)))


@pytest.mark.parametrize("call", ["api", "tokeninfo"])
async def test_an_access_token_the_database_holds_confirms_the_key(
    upgraded_url: str, tmp_path: Path, call: str
) -> None:
    """Through the token check every API uses (a GET: the recording is a write of its own), and
    through /auth/o2/tokeninfo's."""
    await write_upgraded(upgraded_url)
    right = create_app(settings_for(upgraded_url, tmp_path / "right", secret_key=RIGHT))
    async with serving(right) as client:
        bearer = {"Authorization": f"Bearer {ACCESS}"}
        if call == "api":
            path = "/v1/skills/amzn1.ask.skill.none/stages/development/accountLinkingClient"
            assert (await client.get(path, headers=bearer)).status_code == 404  # checked, then unknown
        else:
            assert (await client.get("/auth/o2/tokeninfo", headers=bearer)).status_code == 200
        app_client = {"name": "App", "redirectUris": [REDIRECT_URI]}
        created = await client.post("/_localexa/lwa-clients", json=app_client, headers=ADMIN)
        assert created.status_code == 201, created.text
    assert len(await stored_checks(upgraded_url)) == 1


async def test_a_process_sees_the_key_another_process_confirmed(upgraded_url: str, tmp_path: Path) -> None:
    """Read again on the refusal path: no restart needed once another process recorded it."""
    await write_upgraded(upgraded_url)
    second = create_app(settings_for(upgraded_url, tmp_path / "second", secret_key=RIGHT))
    async with serving(second) as client:
        refused_as_unconfirmed(await create_skill(client))
        first = create_app(settings_for(upgraded_url, tmp_path / "first", secret_key=RIGHT))
        async with serving(first) as other:
            assert (await refresh(other)).status_code == 200
        # `first` stopped: its recording is done.
        created = await create_skill(client)
        assert created.status_code == 201, created.text


async def test_a_sign_in_issues_no_code_under_an_unconfirmed_key(upgraded_url: str, tmp_path: Path) -> None:
    """/ap/oa answers its own page: a code hashed under a wrong key would confirm that key when
    exchanged."""
    await write_upgraded(upgraded_url)
    wrong = create_app(settings_for(upgraded_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client, Browser(wrong) as browser:
        customer = await Admin(client, ADMIN_KEY).customer()  # a password hash is not keyed
        page = await browser.get(authorize_url(CLIENT_ID))
        assert page.status_code == 200, page.text
        signed_in = {"email": customer.email, "password": customer.password}
        consent = await browser.submit(page, "signin", fill=signed_in)
        assert consent.status_code == 200, consent.text
        answer = await browser.submit(consent, "consent", button="allow")
        assert answer.status_code == 409, answer.text
        assert NOT_CONFIRMED in answer.text, answer.text
    assert await count(upgraded_url, select(func.count()).select_from(AuthorizationCode)) == 0


def refused_as_another_key(answer: httpx.Response) -> None:
    """409 in the API's own shape, not 503: waiting (or retrying) changes nothing, the process
    must be restarted with the database's key."""
    assert answer.status_code == 409, answer.text
    message = answer.json()["message"]
    assert "sealed under another secret key" in message, message
    assert "cannot write" in message, message
    assert "restart" in message, message
    assert "LOCALEXA_SECRET_KEY" in message, message
    assert NOT_CONFIRMED not in message, message  # nothing this process could do confirms it


async def test_a_wrong_key_process_beside_a_database_another_process_confirmed_answers_409(
    upgraded_url: str, tmp_path: Path
) -> None:
    """Started under a wrong key while nothing told (unconfirmed); a right-key process then
    confirmed and recorded the key. The wrong one reads that record on its refusal path: its
    writes were a 503 ("holds secrets sealed under another key"), which clients retry in vain."""
    await write_upgraded(upgraded_url)
    wrong = create_app(settings_for(upgraded_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client, Browser(wrong) as browser:
        refused_as_unconfirmed(await create_skill(client))
        right = create_app(settings_for(upgraded_url, tmp_path / "right", secret_key=RIGHT))
        async with serving(right) as other:
            assert (await refresh(other)).status_code == 200
        # `right` stopped: its recording is done.
        assert len(await stored_checks(upgraded_url)) == 1
        refused_as_another_key(await create_skill(client))
        app_client = {"name": "App", "redirectUris": [REDIRECT_URI]}
        refused_as_another_key(await client.post("/_localexa/lwa-clients", json=app_client, headers=ADMIN))
        tokens = {"clientId": CLIENT_ID, "userId": "amzn1.account.ADA", "scopes": ["profile"]}
        refused_as_another_key(await client.post("/_localexa/tokens", json=tokens, headers=ADMIN))
        # /ap/oa answers its own page, with the same words.
        customer = await Admin(client, ADMIN_KEY).customer()
        page = await browser.get(authorize_url(CLIENT_ID))
        signed_in = {"email": customer.email, "password": customer.password}
        consent = await browser.submit(page, "signin", fill=signed_in)
        answer = await browser.submit(consent, "consent", button="allow")
        assert answer.status_code == 409, answer.text
        assert "sealed under another secret key" in answer.text, answer.text
    assert await count(upgraded_url, select(func.count()).select_from(LwaClient)) == 1
    assert await count(upgraded_url, select(func.count()).select_from(AuthorizationCode)) == 0
