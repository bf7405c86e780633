"""A process under a wrong secret key beside a database whose key another process recorded: its
reads of sealed secrets, its reset, its snapshot and its restore.

Such a process started while the database could not tell its key (an upgraded database, nothing
sealed: lwa/key_check.py); a process under the right key then confirmed and recorded the key.
Since the night of 2026-12-06 the wrong one's writes answer 409 (tests/lwa/test_secret_key_unconfirmed.py).
Still open until now:
- reading a secret the right process sealed answered 503 with the start-up's words, which clients
  retry in vain (a skill's Alexa client secret), or 500 "Retry" (a directive over a link whose
  tokens it sealed): 409 now, in the writes' words;
- its reset emptied the database the right process serves (every customer, client, token, skill),
  while the recorded key stayed the right one, so the wrong process could still write nothing:
  refused now, 409, nothing deleted;
- its restore of a snapshot it took elsewhere put secrets sealed under its key into the database,
  which the right process could then not open: refused now, 409;
- its snapshot answered 200, stamped with its own key over rows sealed under the database's, and
  restored into no server: refused now, 409, as is its restore of the right process's snapshot
  (a 400 that blamed the document).
Where the database recorded no key, a reset still records the resetting key (the documented way to
confirm it), and says so in the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from localexa.cli.output import MAX_ERROR_CHARS
from localexa.server.app import create_app
from localexa.server.core.crypto import SecretBox
from localexa.server.db.engine import create_engine
from localexa.server.enablement.links import token_seal_context
from localexa.server.enablement.models import Enablement
from localexa.server.lwa.key_confirmation import (
    CANNOT_OPEN_UNDER_ANOTHER_KEY,
    CANNOT_RESET_UNDER_ANOTHER_KEY,
    CANNOT_RESTORE_UNDER_ANOTHER_KEY,
    CANNOT_SNAPSHOT_UNDER_ANOTHER_KEY,
    SEALED_UNDER_ANOTHER_KEY,
)
from localexa.server.lwa.models import Customer, LwaClient, Token
from localexa.server.observe.state import key_fingerprint
from tests.core.upgrade_data import settings_for
from tests.lwa.test_secret_key_check import database, stored_checks
from tests.lwa.test_secret_key_unconfirmed import (
    ADMIN,
    RIGHT,
    WRONG,
    count,
    create_skill,
    refresh,
    refused_as_unconfirmed,
    serving,
    write_upgraded,
)

#: The customer write_upgraded creates.
CUSTOMER = "amzn1.account.ADA"


@pytest.fixture
def shared_url(backend: str, tmp_path: Path) -> Iterator[str]:
    yield from database(backend, tmp_path, "keycheck_shared")


@pytest.fixture
def elsewhere_url(backend: str, tmp_path: Path) -> Iterator[str]:
    (tmp_path / "elsewhere").mkdir()
    yield from database(backend, tmp_path / "elsewhere", "keycheck_elsewhere")


def refused_under_another_key(answer: httpx.Response, cannot: str, outcome: str) -> None:
    """409 in the admin API's shape, in the words of the writes refused in that case."""
    assert answer.status_code == 409, answer.text
    message = answer.json()["message"]
    assert message.startswith("The database's secrets are sealed under another secret key"), message
    assert cannot in message, message
    assert "restart it with the database's key" in message, message
    assert "LOCALEXA_SECRET_KEY" in message, message
    assert message.endswith(outcome), message


async def rows(url: str) -> dict[str, int]:
    counted: dict[str, int] = {}
    for name, model in (("customers", Customer), ("clients", LwaClient), ("tokens", Token)):
        counted[name] = await count(url, select(func.count()).select_from(model))
    return counted


async def _right_confirms_and_creates_a_skill(url: str, tmp_path: Path) -> dict[str, Any]:
    """A right-key process confirms the key (a refresh), records it and creates a skill (its
    secrets sealed under RIGHT); it stops, its recording done."""
    right = create_app(settings_for(url, tmp_path / "right", secret_key=RIGHT))
    async with serving(right) as client:
        assert (await refresh(client)).status_code == 200
        created = await create_skill(client)
        assert created.status_code == 201, created.text
    assert len(await stored_checks(url)) == 1
    skill: dict[str, Any] = created.json()
    return skill


async def test_a_wrong_key_process_reading_a_secret_sealed_under_the_database_key_answers_409(
    shared_url: str, tmp_path: Path
) -> None:
    await write_upgraded(shared_url)
    wrong = create_app(settings_for(shared_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client:
        refused_as_unconfirmed(await create_skill(client))
        skill = await _right_confirms_and_creates_a_skill(shared_url, tmp_path)
        answer = await client.get(f"/_localexa/skills/{skill['skillId']}", headers=ADMIN)
        refused_under_another_key(answer, "cannot open the secrets it holds", "Nothing was changed.")
        assert "Retry-After" not in answer.headers
    # The right process reads it as ever.
    right = create_app(settings_for(shared_url, tmp_path / "right", secret_key=RIGHT))
    async with serving(right) as client:
        shown = await client.get(f"/_localexa/skills/{skill['skillId']}", headers=ADMIN)
        assert shown.status_code == 200, shown.text
        assert shown.json()["alexaClientCredentials"]["clientSecret"]


async def _linked_under_right(url: str, skill_id: str) -> None:
    """The upgraded database's customer linked to the skill, the linked tokens sealed under RIGHT
    as the right process seals them when the customer links (enablement/links.py)."""
    box = SecretBox(RIGHT.encode())
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(Enablement).values(
                    id="enablement-1",
                    customer_id=CUSTOMER,
                    skill_id=skill_id,
                    stage="development",
                    skill_user_id="skill-user-1",
                    link_status="LINKED",
                    access_token_sealed=box.seal(
                        "linked-access-token", context=token_seal_context("enablement-1", "access")
                    ),
                    refresh_token_sealed=box.seal(
                        "linked-refresh-token", context=token_seal_context("enablement-1", "refresh")
                    ),
                    access_token_expires_at=now + timedelta(hours=1),
                    linked_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        await engine.dispose()


async def test_a_wrong_key_process_sending_a_directive_over_a_link_sealed_under_the_database_key_answers_409(
    shared_url: str, tmp_path: Path
) -> None:
    """The linked token is a sealed secret too: the directive answered 500, "An internal error
    occurred. Retry the request.", nothing sent."""
    await write_upgraded(shared_url)
    wrong = create_app(settings_for(shared_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client:
        skill = await _right_confirms_and_creates_a_skill(shared_url, tmp_path)
        await _linked_under_right(shared_url, skill["skillId"])
        directive = {
            "userId": CUSTOMER,
            "skillId": skill["skillId"],
            "namespace": "Alexa.Discovery",
            "name": "Discover",
        }
        answer = await client.post("/_localexa/directives", json=directive, headers=ADMIN)
        refused_under_another_key(answer, "cannot open the secrets it holds", "Nothing was changed.")


async def test_a_wrong_key_process_may_not_reset_a_database_another_process_recorded_its_key_for(
    shared_url: str, tmp_path: Path
) -> None:
    await write_upgraded(shared_url)
    wrong = create_app(settings_for(shared_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client:
        skill = await _right_confirms_and_creates_a_skill(shared_url, tmp_path)
        before = await rows(shared_url)
        check = await stored_checks(shared_url)
        answer = await client.post("/_localexa/reset", headers=ADMIN)
        refused_under_another_key(answer, "may not reset it", "Nothing was reset.")
        assert await rows(shared_url) == before  # the right process's customers, clients, tokens
        assert await stored_checks(shared_url) == check
        refused_as_unconfirmed_or_another_key = await create_skill(client)
        assert refused_as_unconfirmed_or_another_key.status_code == 409
    right = create_app(settings_for(shared_url, tmp_path / "right", secret_key=RIGHT))
    async with serving(right) as client:
        shown = await client.get(f"/_localexa/skills/{skill['skillId']}", headers=ADMIN)
        assert shown.status_code == 200, shown.text
        reset = await client.post("/_localexa/reset", headers=ADMIN)  # its own key: as ever
        assert reset.status_code == 200, reset.text
    assert (await rows(shared_url))["customers"] == 0


async def test_a_wrong_key_process_may_not_restore_its_own_snapshot_there(
    shared_url: str, elsewhere_url: str, tmp_path: Path
) -> None:
    """The snapshot, taken by a process under WRONG on a database of its own, opens under WRONG
    (restore's own check): into the shared database it put secrets the right process cannot open."""
    elsewhere = create_app(settings_for(elsewhere_url, tmp_path / "elsewhere-data", secret_key=WRONG))
    async with serving(elsewhere) as client:
        assert (await create_skill(client)).status_code == 201
        taken = await client.post("/_localexa/snapshot", headers=ADMIN)
        assert taken.status_code == 200, taken.text
    await write_upgraded(shared_url)
    wrong = create_app(settings_for(shared_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client:
        await _right_confirms_and_creates_a_skill(shared_url, tmp_path)
        before = await rows(shared_url)
        answer = await client.post("/_localexa/restore", json=taken.json(), headers=ADMIN)
        refused_under_another_key(answer, "may not restore a snapshot into it", "Nothing was restored.")
        assert await rows(shared_url) == before


async def test_a_reset_where_the_database_recorded_no_key_records_the_resetting_one_and_says_so(
    shared_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The documented way to confirm an upgraded database's key (lwa/key_confirmation.py): the
    reset empties it, so no secret is sealed under any other key; the log says that processes
    under another key are refused from then on."""
    await write_upgraded(shared_url)
    wrong = create_app(settings_for(shared_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client:
        reset = await client.post("/_localexa/reset", headers=ADMIN)
        assert reset.status_code == 200, reset.text
        assert len(await stored_checks(shared_url)) == 1
        said = [
            r.getMessage()
            for r in caplog.records
            if "the reset recorded this server's secret key" in r.getMessage()
        ]
        assert len(said) == 1, caplog.text
        assert "refused from now on" in said[0], said
        assert (await create_skill(client)).status_code == 201  # confirmed by it
        caplog.clear()
        again = await client.post("/_localexa/reset", headers=ADMIN)  # its key is recorded: no word
        assert again.status_code == 200, again.text
        assert "the reset recorded" not in caplog.text


async def test_a_wrong_key_process_may_not_take_a_snapshot_of_a_database_another_process_recorded_its_key_for(
    shared_url: str, tmp_path: Path
) -> None:
    """Its snapshot answered 200, stamped with its own key's fingerprint over rows sealed and
    hashed under the database's key: it restored into neither key's server (400 under each), a
    backup found useless only when needed (re-verification of 2026-12-06, C1)."""
    await write_upgraded(shared_url)
    wrong = create_app(settings_for(shared_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client:
        await _right_confirms_and_creates_a_skill(shared_url, tmp_path)
        answer = await client.post("/_localexa/snapshot", headers=ADMIN)
        refused_under_another_key(answer, "may not take a snapshot of it", "No snapshot was taken.")
        assert "tables" not in answer.json()
    # The right process's snapshot is taken, and restores into it, as ever.
    before = await rows(shared_url)
    right = create_app(settings_for(shared_url, tmp_path / "right", secret_key=RIGHT))
    async with serving(right) as client:
        taken = await client.post("/_localexa/snapshot", headers=ADMIN)
        assert taken.status_code == 200, taken.text
        assert taken.json()["keyFingerprint"] == key_fingerprint(SecretBox(RIGHT.encode()))
        restored = await client.post("/_localexa/restore", json=taken.json(), headers=ADMIN)
        assert restored.status_code == 200, restored.text
    assert await rows(shared_url) == before


async def test_a_wrong_key_process_restoring_the_database_key_snapshot_is_refused_for_its_own_key(
    shared_url: str, tmp_path: Path
) -> None:
    """A snapshot of the right process: the wrong one answered 400 "The snapshot was taken by a
    server with another secret key" (or, for a document stamped with its own key, "does not open
    under this server's key … (edited, or copied from another row)"), blaming the document. What
    stands in the way is this server's key, whatever the document: the same 409 as its reset."""
    await write_upgraded(shared_url)
    wrong = create_app(settings_for(shared_url, tmp_path / "wrong", secret_key=WRONG))
    async with serving(wrong) as client:
        await _right_confirms_and_creates_a_skill(shared_url, tmp_path)
        right = create_app(settings_for(shared_url, tmp_path / "right", secret_key=RIGHT))
        async with serving(right) as right_client:
            taken = await right_client.post("/_localexa/snapshot", headers=ADMIN)
            assert taken.status_code == 200, taken.text
        before = await rows(shared_url)
        stamped_wrong = {**taken.json(), "keyFingerprint": key_fingerprint(SecretBox(WRONG.encode()))}
        for document in (taken.json(), stamped_wrong):
            answer = await client.post("/_localexa/restore", json=document, headers=ADMIN)
            refused_under_another_key(answer, "may not restore a snapshot into it", "Nothing was restored.")
        assert await rows(shared_url) == before


def test_the_refusals_fit_the_cli_error_line_whole() -> None:
    """The CLI shows a server's message up to MAX_ERROR_CHARS: the reset's and the restore's were
    503 characters, so `localexa admin reset` under the wrong key ended "Nothing was rese…"."""
    refusals = (
        SEALED_UNDER_ANOTHER_KEY,
        CANNOT_OPEN_UNDER_ANOTHER_KEY,
        CANNOT_RESET_UNDER_ANOTHER_KEY,
        CANNOT_RESTORE_UNDER_ANOTHER_KEY,
        CANNOT_SNAPSHOT_UNDER_ANOTHER_KEY,
    )
    for refusal in refusals:
        assert len(refusal) <= MAX_ERROR_CHARS, (len(refusal), refusal)
