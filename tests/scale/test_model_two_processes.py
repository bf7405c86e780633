"""Two `localexa serve` processes on one PostgreSQL and one Redis answer as one process would.

Random batches of 2-4 calls (model_two_processes.Generator: developer and customer enablement,
Credential Locker PUT/GET, LWA refresh, token minting, clock advances, resets) are sent at once,
each to a random process. Every batch's answers must be explained by some serial order of its
calls against a small model (model_two_processes.explain), then reads through both processes must
show a state such an order ends in. No answer may be a 5xx, and every one has its API's shape.

`LOCALEXA_MODEL_BATCHES` (default 60) sets how many batches, `LOCALEXA_MODEL_SEED` (default 7)
the seed of the random.Random that makes them: a failure names both, to run it again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from localexa.server.db.engine import create_engine
from tests.scale.conftest import REDIRECT, MyLights
from tests.scale.model_two_processes import (
    EXTENDED_PAN_ID,
    LOCKER,
    REMINT_AFTER,
    TOKEN_URL,
    Answer,
    Batch,
    Generator,
    Op,
    State,
    World,
    describe,
    explain,
    mint_messaging,
    network_body,
    now_epoch,
    reads,
    remint_app_token,
    seed,
)
from tests.scale.processes import (
    ServerProcess,
    postgres_database,
    postgres_unreachable_reason,
    query,
    redis_unreachable_reason,
    redis_url_for_test,
    running,
    shared_secrets,
)
from tests.scale.world import customer
from tests.servers import SERVED_LIMITS, shared_tls

pytestmark = pytest.mark.slow

BATCHES = int(os.environ.get("LOCALEXA_MODEL_BATCHES", "60"))
SEED = int(os.environ.get("LOCALEXA_MODEL_SEED", "7"))
#: How many refresh tokens the harness keeps using (the newest and older, maybe revoked, ones).
KEEP_REFRESH = 3


@pytest.fixture(scope="module")
def model_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """As conftest.py's `pair`, with a rate limit no batch reaches (the model has no budget)."""
    for reason in (postgres_unreachable_reason(), redis_unreachable_reason()):
        if reason:
            pytest.skip(f"two-process tests need PostgreSQL and Redis: {reason}")
    root: Path = tmp_path_factory.mktemp("model")
    keys = shared_secrets()
    env = {
        "LOCALEXA_SECRET_KEY": keys["secret_key"],
        "LOCALEXA_REDIS_URL": redis_url_for_test(),
        "LOCALEXA_RATE_LIMIT": "1000000/minute",
        "LOCALEXA_PASSWORD_HASH_N": "1024",
    }
    with postgres_database("localexa_model") as url:
        a = ServerProcess(root / "a", keys["admin_key"], env, database_url=url)
        b = ServerProcess(root / "b", keys["admin_key"], env, database_url=url)
        with running(a, b):
            yield a, b


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(limits=SERVED_LIMITS, verify=shared_tls(), base_url=base_url, timeout=30)


def _fresh(offset: int) -> State:
    return State(access=(("app", offset), ("msg", offset)), live_refresh=frozenset({"r0"}), offset=offset)


async def _send(clients: list[httpx.AsyncClient], ops: list[Op], admin: dict[str, str]) -> None:
    async def one(op: Op) -> None:
        headers = dict(op.kwargs.get("headers", {}))
        if op.path.startswith("/_localexa/"):
            headers.update(admin)
        kwargs = {**op.kwargs, "headers": headers}
        op.answer = Answer.of(await clients[op.server].request(op.method, op.path, **kwargs))

    await asyncio.gather(*(one(op) for op in ops))


def _check_answers(ops: list[Op], context: str) -> None:
    for op in ops:
        assert op.answer is not None
        assert op.answer.status < 500, f"{context}: {op!r}"


class Harness:
    def __init__(self, servers: tuple[ServerProcess, ServerProcess], mylights: MyLights) -> None:
        self.servers = servers
        self.mylights = mylights
        self.world = seed(servers[0], mylights.account_linking())
        self.states = [_fresh(0)]
        self.admin = servers[0].admin_headers

    async def run(self, batches: int, generator: Generator) -> None:
        async with (
            _client(self.servers[0].base_url) as a,
            _client(self.servers[1].base_url) as b,
        ):
            clients = [a, b]
            for number in range(batches):
                context = f"batch {number} (LOCALEXA_MODEL_SEED={SEED})"
                batch = generator.batch(self.world)
                batch.timing[0] = now_epoch()
                await _send(clients, batch.ops, self.admin)
                batch.timing[1] = now_epoch()
                _check_answers(batch.ops, context)
                ends = explain(self.states, batch.ops)
                assert ends, f"{context}: {describe(self.states, batch.ops)}"
                self.states = await self.read_back(clients, ends, context)
                self.follow(batch)

    async def read_back(
        self, clients: list[httpx.AsyncClient], ends: list[State], context: str
    ) -> list[State]:
        """The states the reads through both processes agree with (the clock first: reading it
        makes each process re-read the shared offset, so both judge tokens by it)."""
        timing = [now_epoch(), 0.0]
        ops = reads(self.world, timing)
        clocks, rest = ops[:2], ops[2:]
        await _send(clients, clocks, self.admin)
        await _send(clients, rest, self.admin)
        timing[1] = now_epoch()
        _check_answers(ops, context)
        seen = explain(ends, ops, ordered=True)
        assert seen, f"{context}, reading back: {describe(ends, ops)}"
        return seen

    def follow(self, batch: Batch) -> None:
        """Carry the tokens the batch made into the next one; seed again after a reset."""
        offset = self.states[0].offset
        assert all(s.offset == offset for s in self.states), self.states  # the clock reads pin it
        if any(s.gone for s in self.states):
            assert all(s.gone for s in self.states), self.states
            self.world = seed(self.servers[0], self.mylights.account_linking())
            self.states = [_fresh(offset)]
            return
        world = self.world
        for op in batch.ops:
            answer = op.answer
            assert answer is not None
            if op.name.startswith("mint(") and answer.status == 201 and op.new_key:
                key = op.new_key
                world.tokens[key] = answer.body["refresh_token"]
                world.refresh_keys.append(key)
        refreshed = [
            op for op in batch.ops if op.name.startswith("refresh(") and op.answer and op.answer.status == 200
        ]
        states = self.states
        if refreshed:
            op = refreshed[-1]
            assert op.answer is not None
            assert op.new_key is not None
            world.tokens["msg"] = op.answer.body["access_token"]
            world.minted_at["msg"] = time.monotonic()
            used = op.name[len("refresh(") : -1]  # the refresh token's key: its grant is msg's now
            states = [_rename_access(s, op.new_key, "msg", grant=used) for s in states]
        world.refresh_keys = world.refresh_keys[-KEEP_REFRESH:]
        stale = time.monotonic() - REMINT_AFTER
        if any(s.token("app") != "live" for s in states) or world.minted_at["app"] < stale:
            remint_app_token(self.servers[1], world)
            states = [s.with_access("app") for s in states]
        if any(s.token("msg") != "live" for s in states) or world.minted_at["msg"] < stale:
            mint_messaging(self.servers[1], world, "msg", None)
            states = [s.with_access("msg") for s in states]
        kept = [s.keep_only(("app", "msg"), world.refresh_keys) for s in states]
        self.states = list(dict.fromkeys(kept))


def _rename_access(state: State, old: str, new: str, *, grant: str) -> State:
    access = dict(state.access)
    if old not in access:
        return state
    access[new] = access.pop(old)
    # The refreshed token's grant is the refresh token's: ended when a disable, later in the
    # batch's order, revoked that refresh token.
    return dataclasses.replace(
        state, access=tuple(access.items()), msg_grant_ended=grant not in state.live_refresh
    )


def test_random_concurrent_batches_are_explained_by_a_serial_order(
    model_pair: tuple[ServerProcess, ServerProcess], mylights: MyLights
) -> None:
    harness = Harness(model_pair, mylights)
    generator = Generator(random.Random(SEED), mylights.auth_code, REDIRECT)
    asyncio.run(harness.run(BATCHES, generator))


# -- focused regressions: each race made certain by holding a lock the request has to wait for ----


@asynccontextmanager
async def _blocker(database_url: str) -> AsyncIterator[AsyncConnection]:
    """An open transaction on the servers' database, as another process holding locks would be."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()


async def _waiting_for_locks(database_url: str, count: int) -> None:
    """Until `count` sessions of the database wait for a lock (bounded; polling, not a sleep)."""
    engine = create_engine(database_url)
    try:
        deadline = time.monotonic() + 20
        while True:
            async with engine.connect() as conn:
                waiting = (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        )
                    )
                ).scalar_one()
            if waiting >= count:
                return
            assert time.monotonic() < deadline, f"{waiting} of {count} sessions wait for a lock"
            await asyncio.sleep(0.02)
    finally:
        await engine.dispose()


def _database_url(server: ServerProcess) -> str:
    assert server.database_url is not None
    return server.database_url


def test_a_developer_put_that_meets_a_concurrent_enablement_is_idempotent(
    model_pair: tuple[ServerProcess, ServerProcess], mylights: MyLights
) -> None:
    """Another request inserts the enablement while this PUT of the same stage inserts its own:
    the PUT answered 409 CONFLICT ("enabled concurrently; retry"), which no order of two PUTs
    gives (PUT is idempotent). Now it reads the winner's enablement and answers 204."""
    a, _b = model_pair
    world = seed(a, mylights.account_linking())
    database_url = _database_url(a)
    path = f"/v1/skills/{world.skill_id}/stages/development/enablement"

    async def scenario() -> httpx.Response:
        async with (
            _blocker(database_url) as conn,
            _client(a.base_url) as http,
        ):
            await conn.execute(  # the other request's enablement, not committed yet
                text(
                    "INSERT INTO enablements (id, customer_id, skill_id, stage, skill_user_id, "
                    "link_status, created_at, updated_at) "
                    "VALUES (:id, :c, :s, 'development', :u, 'NOT_LINKED', now(), now())"
                ),
                {
                    "id": uuid.uuid4().hex,
                    "c": world.developer,
                    "s": world.skill_id,
                    "u": f"amzn1.ask.account.{uuid.uuid4().hex}",
                },
            )
            put = asyncio.create_task(http.put(path, headers=world.bearer("app")))
            await _waiting_for_locks(database_url, 1)  # its INSERT waits for ours
            await conn.commit()
            return await put

    answer = asyncio.run(scenario())
    assert answer.status_code == 204, answer.text
    rows = query(
        _database_url(a),
        "SELECT stage FROM enablements WHERE customer_id = :c AND skill_id = :s",
        c=world.developer,
        s=world.skill_id,
    )
    assert [r.stage for r in rows] == ["development"]


def test_a_disable_waiting_for_a_stage_switch_disables_the_new_stage(
    model_pair: tuple[ServerProcess, ServerProcess], mylights: MyLights
) -> None:
    """A developer PUT of the other stage deletes the enablement and inserts its successor in one
    transaction; a customer DELETE that waited for it found neither (its row was gone, the new
    one was newer than its snapshot) and answered 404 "not enabled", though the skill was enabled
    throughout. Now the DELETE disables the new stage: 200, and nothing stays enabled."""
    a, b = model_pair
    world = seed(a, mylights.account_linking())
    database_url = _database_url(a)
    with a.client() as http:
        enabled = http.put(
            f"/v1/skills/{world.skill_id}/stages/development/enablement", headers=world.bearer("app")
        )
    assert enabled.status_code == 204, enabled.text

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        async with (
            _blocker(database_url) as conn,
            _client(a.base_url) as on_a,
            _client(b.base_url) as on_b,
        ):
            # The switch revokes the messaging refresh token (enablement/service.py `_disable`):
            # holding that row holds the switch inside its transaction.
            await conn.execute(
                text("SELECT token_hash FROM lwa_tokens WHERE user_id = :u AND kind = 'refresh' FOR UPDATE"),
                {"u": world.developer},
            )
            switch = asyncio.create_task(
                on_a.put(f"/v1/skills/{world.skill_id}/stages/live/enablement", headers=world.bearer("app"))
            )
            await _waiting_for_locks(database_url, 1)
            delete = asyncio.create_task(
                on_b.delete(
                    f"/v1/users/~current/skills/{world.skill_id}/enablement", headers=world.bearer("app")
                )
            )
            await _waiting_for_locks(database_url, 2)  # the DELETE waits for the switch
            await conn.commit()
            return await switch, await delete

    switched, deleted = asyncio.run(scenario())
    assert switched.status_code == 204, switched.text
    assert deleted.status_code == 200, deleted.text
    rows = query(database_url, "SELECT stage FROM enablements WHERE customer_id = :c", c=world.developer)
    assert rows == []


def _locker_get(world: World) -> dict[str, Any]:
    return {"headers": world.bearer("msg"), "params": {"extendedPanId": EXTENDED_PAN_ID}}


@pytest.mark.parametrize("held_table", ["lwa_clients", "thread_networks"])
def test_a_locker_get_whose_client_goes_while_it_runs_is_401(
    model_pair: tuple[ServerProcess, ServerProcess], mylights: MyLights, held_table: str
) -> None:
    """A reset (here: its deletes) commits after the GET checked its token and before it read the
    caller's client (`lwa_clients` held) or the networks (`thread_networks` held). The GET
    answered 403 "not issued to a skill's messaging client", or 200 with no networks though the
    customer had one: neither is an answer before the reset (200 with the network) nor after it
    (401). Now both are 401 INVALID_TOKEN, the answer after it."""
    a, _b = model_pair
    world = seed(a, mylights.account_linking())
    database_url = _database_url(a)
    with a.client() as http:
        stored = http.put(LOCKER, json=network_body("Home"), headers=world.bearer("msg"))
        assert stored.status_code == 200, stored.text
        assert http.get(LOCKER, **_locker_get(world)).status_code == 200

    async def scenario() -> httpx.Response:
        async with (
            _blocker(database_url) as conn,
            _client(a.base_url) as http,
        ):
            await conn.execute(text(f"LOCK TABLE {held_table} IN ACCESS EXCLUSIVE MODE"))
            get = asyncio.create_task(http.get(LOCKER, **_locker_get(world)))
            await _waiting_for_locks(database_url, 1)
            await conn.execute(text("DELETE FROM thread_networks WHERE user_id = :u"), {"u": world.developer})
            await conn.execute(text("DELETE FROM skills WHERE id = :s"), {"s": world.skill_id})
            await conn.execute(
                text("DELETE FROM lwa_clients WHERE client_id = :c"), {"c": world.messaging_client}
            )
            await conn.commit()
            return await get

    answer = asyncio.run(scenario())
    assert answer.status_code == 401, answer.text
    assert answer.json() == {"code": "INVALID_TOKEN", "message": "The access token is not valid."}


@pytest.mark.parametrize(
    ("deleted", "status", "error"), [("client", 401, "invalid_client"), ("customer", 400, "invalid_grant")]
)
def test_a_refresh_whose_client_or_customer_goes_while_it_runs_is_refused_as_oauth(
    model_pair: tuple[ServerProcess, ServerProcess],
    mylights: MyLights,
    deleted: str,
    status: int,
    error: str,
) -> None:
    """The messaging client (with its skill) or the customer is deleted, as a reset does, after a
    refresh read its client and refresh token and before its new access token is stored. The
    token endpoint answered 404 `invalid_request` ("deleted while it ran"), a status RFC 6749
    §5.2 has no place for; now it answers what a refresh made a moment later gets."""
    a, _b = model_pair
    world = seed(a, mylights.account_linking())
    user_id = customer(a, "Gone")
    body = {"clientId": world.messaging_client, "userId": user_id, "scopes": ["alexa::async_event:write"]}
    refresh_token = a.admin("tokens", body)["refresh_token"]
    database_url = _database_url(a)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": world.messaging_client,
        "client_secret": world.messaging_secret,
    }

    async def scenario() -> httpx.Response:
        async with (
            _blocker(database_url) as conn,
            _client(a.base_url) as http,
        ):
            if deleted == "client":
                await conn.execute(text("DELETE FROM skills WHERE id = :s"), {"s": world.skill_id})
                await conn.execute(
                    text("DELETE FROM lwa_clients WHERE client_id = :c"), {"c": world.messaging_client}
                )
            else:
                await conn.execute(text("DELETE FROM customers WHERE id = :u"), {"u": user_id})
            refresh = asyncio.create_task(http.post(TOKEN_URL, data=form))
            await _waiting_for_locks(database_url, 1)  # its INSERT's foreign-key check waits
            await conn.commit()
            return await refresh

    answer = asyncio.run(scenario())
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error
    assert set(answer.json()) == {"error", "error_description"}
