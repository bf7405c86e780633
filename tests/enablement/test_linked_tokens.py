"""The service functions other areas use: linked_access_token, mark_link_invalid, find_enablement,
and the after-link hooks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.enablement import links as links_module
from localexa.server.enablement.hooks import add_after_link_hook
from localexa.server.enablement.links import (
    LinkUnavailable,
    RefreshDue,
    find_enablement,
    linked_access_token,
    mark_link_invalid,
    refresh_outside_transaction,
)
from localexa.server.enablement.token_server import TokenGrant
from tests.enablement.helpers import (
    ACCOUNT_LINKING,
    READWRITE,
    bearer,
    customer_token,
    developer_path,
    enablement_path,
    link,
    linked_skill,
    new_code,
)
from tests.enablement.token_server import REFRESH_REFUSED_FOR_NOW, TokenServer
from tests.factories import Admin, Skill


async def _token(
    app: FastAPI, customer_id: str, skill_id: str, *, force: bool = False, expired: str | None = None
) -> str:
    """The link's token; `force`: as after the skill answered EXPIRED_AUTHORIZATION_CREDENTIAL to
    the token the link holds (`expired`: to that token)."""
    if force:
        expired = await _token(app, customer_id, skill_id)
    state = app.state
    async with state.sessions() as session:
        try:
            token = await linked_access_token(
                session,
                state.box,
                state.clock,
                state.outbound,
                state.settings,
                customer_id=customer_id,
                skill_id=skill_id,
                expired_token=expired,
            )
        finally:
            await session.commit()  # as a caller would: keeps a NEEDS_RELINK mark
    return token


async def _linked(
    client: httpx.AsyncClient, admin: Admin, server: TokenServer, mode: str = "ok"
) -> tuple[Skill, str, str, str]:
    skill = await linked_skill(admin, server, mode=mode)
    customer = await admin.customer()
    token = await customer_token(admin, customer)
    code = new_code()
    assert (await link(client, token, skill.skill_id, code)).status_code == 201
    return skill, customer.user_id, token, code


async def test_fresh_token_is_returned_without_a_refresh(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI
) -> None:
    skill, customer_id, _, code = await _linked(client, admin, token_server)
    assert await _token(app, customer_id, skill.skill_id) == f"at-{code}"
    assert token_server.calls_with("refresh_token", f"rt-{code}") == []


async def test_expired_token_is_refreshed_with_the_same_client_auth(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI
) -> None:
    skill, customer_id, _, code = await _linked(client, admin, token_server)
    await admin.advance_clock(3601)
    await app.state.clock.refresh(app.state.engine, force=True)

    fresh = await _token(app, customer_id, skill.skill_id)

    assert fresh.startswith("at-refreshed-")
    assert fresh.endswith(f"rt-{code}")
    [call] = token_server.calls_with("refresh_token", f"rt-{code}")
    assert call.form["grant_type"] == "refresh_token"
    assert call.authorization is not None
    assert call.authorization.startswith("Basic ")
    # Stored: the next call uses it without refreshing again; the old refresh token is kept.
    assert await _token(app, customer_id, skill.skill_id) == fresh
    assert len(token_server.calls_with("refresh_token", f"rt-{code}")) == 1


async def test_force_refresh(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI
) -> None:
    skill, customer_id, _, code = await _linked(client, admin, token_server)
    forced = await _token(app, customer_id, skill.skill_id, force=True)
    assert forced != f"at-{code}"
    assert len(token_server.calls_with("refresh_token", f"rt-{code}")) == 1


async def test_an_expired_token_the_link_no_longer_holds_is_not_refreshed(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI
) -> None:
    """An EXPIRED answer to the token a refresh has replaced since: the link's token as it is."""
    skill, customer_id, _, code = await _linked(client, admin, token_server)
    forced = await _token(app, customer_id, skill.skill_id, force=True)
    again = await _token(app, customer_id, skill.skill_id, expired=f"at-{code}")
    assert again == forced
    assert len(token_server.calls_with("refresh_token", f"rt-{code}")) == 1


async def test_a_refresh_outside_the_transaction_never_overwrites_a_link_made_meanwhile(
    client: httpx.AsyncClient,
    admin: Admin,
    token_server: TokenServer,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite's way (`refresh_inline=False`): the skill's token server is asked with no
    transaction open, so the customer may disable the skill and link it again before it answers.
    The late answer belongs to the old link and is dropped; the new link's tokens stay."""
    # No after-link follow-up (a Discover directive) refreshing the link beside this test.
    monkeypatch.setattr(app.state, "after_link_hooks", [])
    skill, customer_id, _, _ = await _linked(client, admin, token_server)
    await admin.advance_clock(3601)
    state = app.state
    await state.clock.refresh(state.engine, force=True)
    token = await admin.access_token(customer_id, [ACCOUNT_LINKING])  # the first one expired too
    async with state.sessions() as session:
        with pytest.raises(RefreshDue) as caught:
            await linked_access_token(
                session,
                state.box,
                state.clock,
                state.outbound,
                state.settings,
                customer_id=customer_id,
                skill_id=skill.skill_id,
                refresh_inline=False,
            )
    new_code_ = new_code()

    async def slow_refresh(*args: object, **kwargs: object) -> TokenGrant:
        # The customer disables the skill and enables it again, linking anew.
        disabled = await client.delete(enablement_path(skill.skill_id), headers=bearer(token))
        assert disabled.status_code == 200, disabled.text
        assert (await link(client, token, skill.skill_id, new_code_)).status_code == 201
        return TokenGrant(access_token="at-late-refresh", refresh_token="rt-late-refresh", expires_in=3600)

    monkeypatch.setattr(links_module, "refresh", slow_refresh)

    @asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        async with state.sessions() as session:
            yield session
            await session.commit()

    await refresh_outside_transaction(
        transaction,
        state.box,
        state.clock,
        state.outbound,
        state.settings,
        customer_id=customer_id,
        skill_id=skill.skill_id,
        due=caught.value,
    )
    assert await _token(app, customer_id, skill.skill_id) == f"at-{new_code_}"


async def test_refused_refresh_marks_needs_relink_and_post_relinks(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI
) -> None:
    skill, customer_id, token, _ = await _linked(client, admin, token_server, mode="refresh-denied")
    with pytest.raises(LinkUnavailable) as caught:
        await _token(app, customer_id, skill.skill_id, force=True)
    assert caught.value.code == "ACCOUNT_LINK_INVALID"

    status = await client.get(enablement_path(skill.skill_id), headers=bearer(token))
    assert status.json()["accountLink"] == {"status": "NEEDS_RELINK"}
    with pytest.raises(LinkUnavailable) as again:
        await _token(app, customer_id, skill.skill_id)
    assert again.value.code == "ACCOUNT_LINK_INVALID"

    relinked = await link(client, token, skill.skill_id)
    assert relinked.status_code == 201
    assert relinked.json()["user"]["id"] == status.json()["user"]["id"]
    assert relinked.json()["accountLink"] == {"status": "LINKED"}


async def test_broken_token_server_keeps_the_link(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI
) -> None:
    skill, customer_id, token, _ = await _linked(client, admin, token_server, mode="refresh-broken")
    with pytest.raises(LinkUnavailable) as caught:
        await _token(app, customer_id, skill.skill_id, force=True)
    assert caught.value.code == "TOKEN_REFRESH_FAILED"
    status = await client.get(enablement_path(skill.skill_id), headers=bearer(token))
    assert status.json()["accountLink"] == {"status": "LINKED"}


@pytest.mark.parametrize("mode", sorted(REFRESH_REFUSED_FOR_NOW))
async def test_a_refusal_other_than_invalid_grant_keeps_the_link(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI, mode: str
) -> None:
    """Only `invalid_grant` says the refresh token is dead (RFC 6749 §5.2). A 429, a 408 or
    `invalid_client` (a secret the developer then fixes) ended every customer's link before."""
    skill, customer_id, token, code = await _linked(client, admin, token_server, mode=mode)
    with pytest.raises(LinkUnavailable) as caught:
        await _token(app, customer_id, skill.skill_id, force=True)
    assert caught.value.code == "TOKEN_REFRESH_FAILED"
    status = await client.get(enablement_path(skill.skill_id), headers=bearer(token))
    assert status.json()["accountLink"] == {"status": "LINKED"}
    # The stored tokens are kept: the next call tries the same refresh token again.
    with pytest.raises(LinkUnavailable):
        await _token(app, customer_id, skill.skill_id, force=True)
    assert len(token_server.calls_with("refresh_token", f"rt-{code}")) == 2


async def test_not_enabled_and_not_linked(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI
) -> None:
    skill = await linked_skill(admin, token_server)
    with pytest.raises(LinkUnavailable) as missing:
        await _token(app, skill.developer.user_id, skill.skill_id)
    assert missing.value.code == "SKILL_NOT_ENABLED"
    developer = await admin.access_token(skill.developer.user_id, [READWRITE])
    assert (await client.put(developer_path(skill.skill_id), headers=bearer(developer))).status_code == 204
    with pytest.raises(LinkUnavailable) as unlinked:
        await _token(app, skill.developer.user_id, skill.skill_id)
    assert unlinked.value.code == "ACCOUNT_NOT_LINKED"


async def test_mark_link_invalid(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI
) -> None:
    skill, customer_id, token, _ = await _linked(client, admin, token_server)
    async with app.state.sessions() as session:
        assert await mark_link_invalid(
            session, app.state.clock, customer_id=customer_id, skill_id=skill.skill_id
        )
        assert not await mark_link_invalid(
            session, app.state.clock, customer_id=skill.developer.user_id, skill_id=skill.skill_id
        )
        with pytest.raises(ValueError, match="status"):
            await mark_link_invalid(
                session, app.state.clock, customer_id=customer_id, skill_id=skill.skill_id, status="LINKED"
            )
        await session.commit()
    body = (await client.get(enablement_path(skill.skill_id), headers=bearer(token))).json()
    assert body["accountLink"] == {"status": "NEEDS_RELINK"}
    assert body["status"] == "ENABLED"
    async with app.state.sessions() as session:
        row = await find_enablement(session, customer_id=customer_id, skill_id=skill.skill_id)
        assert row is not None
        assert row.access_token_sealed is None
        assert row.refresh_token_sealed is None
        await mark_link_invalid(
            session, app.state.clock, customer_id=customer_id, skill_id=skill.skill_id, status="NOT_LINKED"
        )
        await session.commit()
    body = (await client.get(enablement_path(skill.skill_id), headers=bearer(token))).json()
    assert body["accountLink"] == {"status": "NOT_LINKED"}


async def test_after_link_hooks_run_after_the_commit(
    client: httpx.AsyncClient, admin: Admin, token_server: TokenServer, app: FastAPI
) -> None:
    seen: list[tuple[str, str | None]] = []

    async def hook(application: FastAPI, enablement_id: str) -> None:
        # A separate session sees the row: the request's transaction has committed.
        async with application.state.sessions() as session:
            from localexa.server.enablement.repository import EnablementRepository

            row = await EnablementRepository(session).by_id(enablement_id)
            seen.append((enablement_id, row.link_status if row else None))

    async def broken(application: FastAPI, enablement_id: str) -> None:
        raise RuntimeError("a hook that fails must not undo the link")

    add_after_link_hook(app, broken)
    add_after_link_hook(app, hook)
    try:
        skill = await linked_skill(admin, token_server)
        customer = await admin.customer()
        token = await customer_token(admin, customer)
        response = await link(client, token, skill.skill_id)
        assert response.status_code == 201
        assert len(seen) == 1
        assert seen[0][1] == "LINKED"
        # Failed and refused POSTs run no hook.
        assert (await link(client, token, skill.skill_id)).status_code == 409
        other = await linked_skill(admin, token_server, mode="error")
        assert (await link(client, token, other.skill_id)).status_code == 400
        assert len(seen) == 1
        async with app.state.sessions() as session:
            row = await find_enablement(session, customer_id=customer.user_id, skill_id=skill.skill_id)
        assert row is not None
        assert seen[0][0] == row.id
    finally:
        app.state.after_link_hooks.remove(broken)
        app.state.after_link_hooks.remove(hook)


async def test_a_second_enablement_of_the_same_pair_is_a_conflict(admin: Admin, app: FastAPI) -> None:
    """Two concurrent enables of one (customer, skill): the loser's flush becomes 409."""
    from datetime import UTC, datetime

    from localexa.server.core.errors import Conflict
    from localexa.server.enablement.models import Enablement
    from localexa.server.enablement.repository import EnablementRepository

    skill = await admin.skill()
    now = datetime.now(UTC)

    def row(n: int) -> Enablement:
        return Enablement(
            id=f"race-{n}",
            customer_id=skill.developer.user_id,
            skill_id=skill.skill_id,
            stage="development",
            skill_user_id=f"amzn1.ask.account.RACE{n}",
            link_status="NOT_LINKED",
            created_at=now,
            updated_at=now,
        )

    async with app.state.sessions() as session:
        repo = EnablementRepository(session)
        repo.add(row(1))
        await repo.flush()
        await session.commit()
    async with app.state.sessions() as session:
        repo = EnablementRepository(session)
        repo.add(row(2))
        with pytest.raises(Conflict):
            await repo.flush()
        await session.rollback()
