"""A reset or restore through one process stops the after-link follow-ups of the other.

B serves a customer's enable-and-link call, so B runs the follow-up: its Discover waits for a slow
skill on 127.0.0.1. Then A serves the next test's reset, or restores a snapshot taken before the
link. B's follow-up serves a link the reset erased: nothing it brings back may reach the journal
or the state, and it must not go on to send AcceptGrant.

- The skill answers right after the reset: the answer reaches B before B can have noticed the
  reset on its own, so what B does with it is checked (the journal, the stored status, the skill's
  messages, AcceptGrant).
- The skill holds its answer: B stops waiting for it within the bound (after_link_runner.py
  `WATCH_SECONDS`), long before the skill answers.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.skill import accept_grant_response, discover_response, discovery_endpoint
from tests.scale.conftest import REDIRECT, MyLights, Pair
from tests.scale.processes import ServerProcess, query
from tests.scale.world import ACCOUNT_LINKING, app_token, bearer, skill
from tests.servers import serve_in_thread

pytestmark = pytest.mark.slow

ASYNC_EVENTS = "alexa::async_event:write"
#: Longest a Discover is held (well under the directive timeout, 8 s).
HOLD_SECONDS = 6.0
#: How soon B must have stopped: after_link_runner.py `WATCH_SECONDS` (0.5 s), a read of the database, and
#: this test's own polling of B.
STOPS_WITHIN = 1.5


@dataclass
class SlowSkill:
    """Holds each Discover until `release` (or `HOLD_SECONDS`); answers AcceptGrant at once."""

    discover_arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    discovers_answered: int = 0
    #: When each AcceptGrant arrived (wall clock).
    accept_grants: list[float] = field(default_factory=list)

    def arm(self) -> None:
        self.discover_arrived.clear()
        self.release.clear()
        self.discovers_answered = 0
        self.accept_grants.clear()

    async def answer(self, request: Request) -> Response:
        message: dict[str, Any] = await request.json()
        if message["directive"]["header"]["name"] != "Discover":
            self.accept_grants.append(time.time())
            return JSONResponse(accept_grant_response(message))
        self.discover_arrived.set()
        # The test releases it from its own thread.
        await asyncio.to_thread(self.release.wait, HOLD_SECONDS)
        self.discovers_answered += 1
        lamp = discovery_endpoint("lamp", "Lamp", [], description="d", manufacturer_name="m")
        return JSONResponse(discover_response(message, [lamp]))


@pytest.fixture(scope="module")
def skill_host() -> Iterator[tuple[SlowSkill, str]]:
    answering = SlowSkill()
    app = Starlette(routes=[Route("/skill/{case}", answering.answer, methods=["POST"])])
    with serve_in_thread(app) as url:
        yield answering, url
    answering.release.set()


@pytest.fixture
def slow_skill(pair: Pair, skill_host: tuple[SlowSkill, str]) -> Iterator[tuple[SlowSkill, str]]:
    """The skill, armed anew, at an endpoint URL of this test's own (the journal of a restore
    keeps the entries of the tests before); B holds no follow-up at the start."""
    answering, url = skill_host
    deadline = time.monotonic() + 10
    while _follow_ups(pair.b):  # one a failed test before left waiting
        assert time.monotonic() < deadline, "B still holds a follow-up of a test before"
        time.sleep(0.05)
    answering.arm()
    yield answering, f"{url}/skill/{secrets.token_hex(4)}"
    answering.release.set()


def _follow_ups(server: ServerProcess) -> float:
    """The follow-ups `server` holds (its /metrics gauge)."""
    with server.client() as http:
        text = http.get("/metrics").text
    prefix = 'localexa_in_memory_entries{holder="after_link_follow_ups"} '
    return sum(float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix))


def _journal_to(server: ServerProcess, url: str) -> list[dict[str, Any]]:
    """The journal's outbound entries to `url`, read through `server` (which writes its own
    queue first)."""
    with server.client() as http:
        page = http.get(
            "/_localexa/journal",
            params={"direction": "outbound", "limit": 1000},
            headers=server.admin_headers,
        )
    assert page.status_code == 200, page.text
    return [e for e in page.json()["entries"] if e["url"] == url]


@dataclass
class Linked:
    customer_id: str
    skill_id: str
    #: A snapshot through A taken before the link: the customer and the skill, no link.
    snapshot: dict[str, Any]


def _link_through_b(pair: Pair, mylights: MyLights, endpoint: str) -> Linked:
    owner = skill(
        pair.a, endpoint=endpoint, permissions=[ASYNC_EVENTS], account_linking=mylights.account_linking()
    )
    linker = app_token(pair.a, owner.developer, [ACCOUNT_LINKING])
    with pair.a.client() as http:
        snapshot = http.post("/_localexa/snapshot", headers=pair.a.admin_headers).json()
    link = {"redirectUri": REDIRECT, "authCode": mylights.auth_code(), "type": "AUTH_CODE"}
    with pair.b.client() as http:
        linked = http.post(
            f"/v1/users/~current/skills/{owner.skill_id}/enablement",
            json={"stage": "development", "accountLinkRequest": link},
            headers=bearer(linker),
        )
    assert linked.status_code == 201, linked.text
    return Linked(owner.developer, owner.skill_id, snapshot)


def _replace_state_through_a(pair: Pair, how: str, linked: Linked) -> None:
    with pair.a.client() as http:
        if how == "reset":
            answer = http.post("/_localexa/reset", headers=pair.a.admin_headers)
        else:
            answer = http.post("/_localexa/restore", json=linked.snapshot, headers=pair.a.admin_headers)
    assert answer.status_code == 200, answer.text


def _rows_of_the_link(pair: Pair, linked: Linked) -> dict[str, int]:
    pair_of = {"customer": linked.customer_id, "skill": linked.skill_id}
    where = "WHERE customer_id = :customer AND skill_id = :skill"
    return {
        table: query(pair.database_url, f"SELECT count(*) FROM {table} {where}", **pair_of)[0][0]
        for table in ("after_link_status", "skill_messages", "discovered_endpoints")
    }


@pytest.mark.parametrize("how", ["reset", "restore"])
def test_a_follow_up_answered_after_another_process_reset_leaves_nothing(
    pair: Pair, mylights: MyLights, slow_skill: tuple[SlowSkill, str], how: str
) -> None:
    answering, endpoint = slow_skill
    linked = _link_through_b(pair, mylights, endpoint)
    assert answering.discover_arrived.wait(10), "B never sent Discover"

    _replace_state_through_a(pair, how, linked)
    replaced_at = time.time()
    answering.release.set()  # B gets its answer at once, before it can notice the reset itself

    deadline = time.monotonic() + 5
    while answering.discovers_answered == 0 or _follow_ups(pair.b):
        assert time.monotonic() < deadline, "B's follow-up never ended"
        time.sleep(0.05)
    time.sleep(0.3)  # room for an AcceptGrant, had B gone on to send one

    # Neither process's journal shows B's Discover (B writes its queue before it answers).
    assert _journal_to(pair.b, endpoint) == []
    assert _journal_to(pair.a, endpoint) == []
    sent_after = [at for at in answering.accept_grants if at >= replaced_at]
    assert answering.accept_grants == [], sent_after
    # After the restore the customer and the skill are back (without the link): nothing of B's
    # follow-up may be stored for them either (its outcome, its messages, the devices it found).
    assert _rows_of_the_link(pair, linked) == {
        "after_link_status": 0,
        "skill_messages": 0,
        "discovered_endpoints": 0,
    }


@pytest.mark.parametrize("how", ["reset", "restore"])
def test_a_follow_up_waiting_on_a_slow_skill_stops_within_the_bound(
    pair: Pair, mylights: MyLights, slow_skill: tuple[SlowSkill, str], how: str
) -> None:
    answering, endpoint = slow_skill
    linked = _link_through_b(pair, mylights, endpoint)
    assert answering.discover_arrived.wait(10), "B never sent Discover"
    assert _follow_ups(pair.b) == 1

    _replace_state_through_a(pair, how, linked)
    replaced = time.monotonic()
    while _follow_ups(pair.b):
        assert time.monotonic() - replaced < STOPS_WITHIN, "B's follow-up went on waiting for the skill"
        time.sleep(0.02)
    assert answering.discovers_answered == 0  # stopped while the skill still held its answer
    answering.release.set()
    time.sleep(0.3)

    assert _journal_to(pair.b, endpoint) == []
    assert answering.accept_grants == []
    assert _rows_of_the_link(pair, linked)["after_link_status"] == 0
