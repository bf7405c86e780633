"""Linked tokens: keep them sealed on the enablement row, hand them out fresh to other areas.

Public service functions for other areas (directives, evaluation, events, console):

    enablement = await find_enablement(session, customer_id=..., skill_id=...)
    token = await linked_access_token(session, box, clock, outbound, settings,
                                      customer_id=..., skill_id=...)      # refreshes when expired
    await mark_link_invalid(session, clock, customer_id=..., skill_id=...)  # NEEDS_RELINK

`linked_access_token` refreshes at the skill's `accessTokenUrl` (`grant_type=refresh_token`, the
same client authentication as the link) once the access token has expired by localexa's clock,
or when `expired_token` is given and the link still holds it (the skill answered
EXPIRED_AUTHORIZATION_CREDENTIAL to it, DESIGN.md "Directives"; a link that holds another token by
then was refreshed or linked again meanwhile, and that token is handed out as it is). It raises
`LinkUnavailable` when there is no usable link. The refresh runs inside the caller's transaction
and only flushes; the caller's session commits (or, on error, rolls back the new tokens and any
NEEDS_RELINK mark with everything else).

On SQLite the caller passes `refresh_inline=False`: a transaction there holds the whole file's
write lock, and the skill's `accessTokenUrl` may be localexa's own token endpoint, which waited
for that lock until the exchange timed out (every directive after the first hour was a 503).
`RefreshDue` then tells the caller to leave its transaction and call
`refresh_outside_transaction`, which refreshes once per (customer, skill) in this process and
stores the grant only if nobody replaced the link meanwhile. On PostgreSQL the row lock held
across the call is what makes concurrent directives (in any process) share one refresh; those of
one process that waited for a refresh that failed share its failure (`_Turns`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import Clock, as_utc
from localexa.server.core.crypto import NotOpened, SecretBox
from localexa.server.core.errors import BadRequest, ServiceUnavailable
from localexa.server.core.http import OutboundHttp
from localexa.server.enablement.models import LINKED, NEEDS_RELINK, NOT_LINKED, Enablement
from localexa.server.enablement.repository import EnablementRepository
from localexa.server.enablement.token_server import LinkClient, TokenGrant, TokenServerRefused, refresh
from localexa.server.settings import Settings
from localexa.server.skills.models import Skill
from localexa.server.skills.repository import SkillRepository

#: When neither the token server nor the skill says how long a token lives (spec §5).
FALLBACK_EXPIRES_IN = 3600


class LinkUnavailable(BadRequest):
    """No usable linked token. `code` says why: SKILL_NOT_ENABLED, ACCOUNT_NOT_LINKED,
    ACCOUNT_LINK_INVALID (NEEDS_RELINK: the customer must link again) or TOKEN_REFRESH_FAILED
    (the skill's token server failed for now; the link is kept)."""


class RefreshDue(Exception):
    """The linked token must be refreshed, outside the caller's transaction (`refresh_inline=False`)."""

    def __init__(self, client: LinkClient, refresh_token: str, sealed: tuple[str | None, str | None]) -> None:
        super().__init__("the linked token must be refreshed")
        self.client = client
        self.refresh_token = refresh_token
        #: The tokens as sealed on the row when it was read (access, refresh): either changed means
        #: replaced (a refresh answered without a new refresh token keeps the old one sealed, but
        #: the access token is sealed anew on every store).
        self.sealed = sealed


def link_client(skill: Skill, box: SecretBox) -> LinkClient | None:
    """Alexa's client at the skill's OAuth server, or None when the skill has no code-grant link."""
    config: dict[str, Any] = skill.account_linking or {}
    token_url = config.get("accessTokenUrl")
    if config.get("type", "AUTH_CODE") != "AUTH_CODE" or not token_url or not config.get("clientId"):
        return None
    secret = (
        box.open(skill.account_linking_secret_sealed, context=skill.id)
        if skill.account_linking_secret_sealed
        else None
    )
    default = config.get("defaultTokenExpirationInSeconds")
    return LinkClient(
        token_url=str(token_url),
        client_id=str(config["clientId"]),
        client_secret=secret,
        scheme=str(config.get("accessTokenScheme", "HTTP_BASIC")),
        redirect_urls=tuple(str(u) for u in config.get("redirectUrls") or ()),
        # Bounded as the skill's schema bounds it (a row stored before the bound may hold more).
        default_expires_in=default if isinstance(default, int) and 0 < default < 10**9 else None,
    )


def _context(row: Enablement, kind: str) -> str:
    return token_seal_context(row.id, kind)


def token_seal_context(enablement_id: object, kind: str) -> str:
    """The associated data a linked token (`kind` access or refresh) is sealed under: bound to the
    row, a ciphertext copied to another row does not open."""
    return f"enablement:{enablement_id}:{kind}"


def store_grant(row: Enablement, grant: TokenGrant, box: SecretBox, clock: Clock, client: LinkClient) -> None:
    """Seal the token pair onto `row` and mark it LINKED. A refresh that returns no new refresh
    token keeps the old one (RFC 6749 §6). The caller has read the shared clock in its transaction
    (`Clock.read_within`): the expiry is stamped by `clock.now()`."""
    now = clock.now()
    lifetime = grant.expires_in or client.default_expires_in or FALLBACK_EXPIRES_IN
    row.access_token_sealed = box.seal(grant.access_token, context=_context(row, "access"))
    if grant.refresh_token is not None:
        row.refresh_token_sealed = box.seal(grant.refresh_token, context=_context(row, "refresh"))
    row.access_token_expires_at = now + timedelta(seconds=lifetime)
    row.link_status = LINKED
    row.updated_at = now


def forget_link(row: Enablement, clock: Clock, status: str = NOT_LINKED) -> None:
    row.access_token_sealed = None
    row.refresh_token_sealed = None
    row.access_token_expires_at = None
    row.link_status = status
    row.updated_at = clock.now()


async def find_enablement(session: AsyncSession, *, customer_id: str, skill_id: str) -> Enablement | None:
    """The enablement of a skill for a customer (any stage, linked or not), or None."""
    return await EnablementRepository(session).find(customer_id, skill_id)


async def linked_access_token(
    session: AsyncSession,
    box: SecretBox,
    clock: Clock,
    outbound: OutboundHttp,
    settings: Settings,
    *,
    customer_id: str,
    skill_id: str,
    expired_token: str | None = None,
    refresh_inline: bool = True,
) -> str:
    """The skill's access token for this customer, refreshed first when it has expired or is
    `expired_token` (or, with `refresh_inline=False`, RefreshDue when it must be)."""
    # Counted among the tasks that want this link before waiting for its row lock: a refresh
    # that fails while this task waits is this task's answer too (below).
    with _waiting((customer_id, skill_id)) as (turns, done_before):
        repo = EnablementRepository(session)
        row = await repo.find(customer_id, skill_id, for_update=True)
        if row is None:
            raise LinkUnavailable("The skill is not enabled for this customer.", code="SKILL_NOT_ENABLED")
        if row.link_status == NEEDS_RELINK:
            raise LinkUnavailable("The customer must link the account again.", code="ACCOUNT_LINK_INVALID")
        if row.link_status != LINKED or row.access_token_sealed is None:
            raise LinkUnavailable("The customer's account is not linked.", code="ACCOUNT_NOT_LINKED")
        expires_at = row.access_token_expires_at
        if expires_at is not None and as_utc(expires_at) > clock.now():
            current = box.open(row.access_token_sealed, context=_context(row, "access"))
            # Two directives answered EXPIRED to one token refreshed it twice, the second time the
            # token the first had just stored (review of 2026-12-07): only the token answered
            # EXPIRED is refreshed.
            if current != expired_token:
                return current
        skill = await SkillRepository(session).skill(skill_id)
        client = link_client(skill, box) if skill is not None else None
        if client is None or row.refresh_token_sealed is None:
            forget_link(row, clock, NEEDS_RELINK)
            await repo.flush()
            raise LinkUnavailable(
                "The linked token expired and cannot be refreshed.", code="ACCOUNT_LINK_INVALID"
            )
        refresh_token = box.open(row.refresh_token_sealed, context=_context(row, "refresh"))
        if not refresh_inline:
            raise RefreshDue(client, refresh_token, (row.access_token_sealed, row.refresh_token_sealed))
        if turns.done != done_before and turns.failure is not None:
            # PostgreSQL: the row lock this task waited for was held by a refresh that failed (a
            # token server answering 500 or timing out): its answer is this one's, rather than each
            # waiting directive asking the token server again in turn (up to 4.5 s each).
            raise LinkUnavailable(turns.failure.message, code=turns.failure.code)
        with turns.trying():
            try:
                grant = await refresh(
                    outbound, client, refresh_token=refresh_token, timeout=settings.token_exchange_timeout
                )
            except TokenServerRefused as exc:
                if exc.error == "invalid_grant":
                    forget_link(row, clock, NEEDS_RELINK)
                    await repo.flush()
                raise _refused(exc) from exc
        await clock.read_within(await session.connection())  # the expiry by the shared clock as it is
        store_grant(row, grant, box, clock, client)
        await repo.flush()
        return grant.access_token


def _refused(exc: TokenServerRefused) -> LinkUnavailable:
    """What a refused refresh means for the link. `invalid_grant`: the skill's server says the
    refresh token is dead (RFC 6749 §5.2), only a new link helps (the caller marks it
    NEEDS_RELINK). Any other refusal (429, 408, invalid_client after a secret change, a 400 without
    an OAuth error) may pass, so the link is kept and the next call tries again."""
    if exc.error == "invalid_grant":
        return LinkUnavailable(
            f"The skill's token server refused the refresh ({exc.reason}).", code="ACCOUNT_LINK_INVALID"
        )
    return LinkUnavailable(
        f"The skill's token server failed to refresh ({exc.reason}).", code="TOKEN_REFRESH_FAILED"
    )


class _Turns:
    """The tasks of this process that want one (customer, skill)'s link refreshed: one refreshes
    at a time; `done` counts finished tries and `failure` is the last one's, so that tasks that
    waited for a try that failed share its failure instead of each asking the token server."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0
        self.done = 0
        self.failure: LinkUnavailable | None = None

    @contextmanager
    def trying(self) -> Iterator[None]:
        """One try at the token server: its refusal (a LinkUnavailable) is kept for the tasks
        that waited for it, a success clears it, and either way the try is counted."""
        try:
            yield
        except LinkUnavailable as failure:
            self.failure = failure
            raise
        else:
            self.failure = None
        finally:
            self.done += 1


#: Refreshes wanted in this process, by (customer, skill).
_REFRESHING: dict[tuple[str, str], _Turns] = {}


@contextmanager
def _waiting(key: tuple[str, str]) -> Iterator[tuple[_Turns, int]]:
    """This task counted among those that want the link, and how many tries had finished when
    it began to wait (for the row lock on PostgreSQL, for `_one_at_a_time`'s turn on SQLite)."""
    turns = _REFRESHING.setdefault(key, _Turns())
    turns.users += 1
    try:
        yield turns, turns.done
    finally:
        turns.users -= 1
        if not turns.users:
            del _REFRESHING[key]


@asynccontextmanager
async def _one_at_a_time(key: tuple[str, str]) -> AsyncIterator[tuple[_Turns, int]]:
    """This task's turn, and how many tries had finished when it began to wait."""
    with _waiting(key) as (turns, done):
        async with turns.lock:
            yield turns, done


async def refresh_outside_transaction(
    transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    box: SecretBox,
    clock: Clock,
    outbound: OutboundHttp,
    settings: Settings,
    *,
    customer_id: str,
    skill_id: str,
    due: RefreshDue,
) -> None:
    """Refresh the link `due` names with no transaction open during the call, then store the
    grant in a short one, unless the link was replaced meanwhile (another task of this process
    refreshed it first: the tasks take turns, and the later ones find it done). Raises
    LinkUnavailable as `linked_access_token` does; the caller then reads the link again."""
    async with _one_at_a_time((customer_id, skill_id)) as (turns, done_before):
        if turns.done != done_before and turns.failure is not None:
            # The try this task waited for failed: its answer is this one's.
            raise LinkUnavailable(turns.failure.message, code=turns.failure.code)
        async with transaction() as session:
            row = await EnablementRepository(session).find(customer_id, skill_id)
            if row is None or (row.access_token_sealed, row.refresh_token_sealed) != due.sealed:
                return
        with turns.trying():
            try:
                grant = await refresh(
                    outbound,
                    due.client,
                    refresh_token=due.refresh_token,
                    timeout=settings.token_exchange_timeout,
                )
            except TokenServerRefused as exc:
                if exc.error == "invalid_grant":
                    async with transaction() as session:
                        repo = EnablementRepository(session)
                        row = await repo.find(customer_id, skill_id, for_update=True)
                        if (
                            row is not None
                            and (row.access_token_sealed, row.refresh_token_sealed) == due.sealed
                        ):
                            forget_link(row, clock, NEEDS_RELINK)
                            await repo.flush()
                raise _refused(exc) from exc
        async with transaction() as session:
            repo = EnablementRepository(session)
            row = await repo.find(customer_id, skill_id, for_update=True)
            if row is not None and (row.access_token_sealed, row.refresh_token_sealed) == due.sealed:
                await clock.read_within(await session.connection())  # the expiry by the shared clock
                store_grant(row, grant, box, clock, due.client)
                await repo.flush()


async def mark_link_invalid(
    session: AsyncSession, clock: Clock, *, customer_id: str, skill_id: str, status: str = NEEDS_RELINK
) -> bool:
    """Mark the link NEEDS_RELINK (or NOT_LINKED) and forget its tokens, e.g. after the skill
    answered INVALID_AUTHORIZATION_CREDENTIAL. The skill stays enabled. Returns False when the
    skill is not enabled for the customer. Flushes; the caller's session commits."""
    if status not in (NEEDS_RELINK, NOT_LINKED):
        raise ValueError(f"status must be {NEEDS_RELINK} or {NOT_LINKED}")
    repo = EnablementRepository(session)
    row = await repo.find(customer_id, skill_id, for_update=True)
    if row is None:
        return False
    forget_link(row, clock, status)
    await repo.flush()
    return True


async def mark_link_invalid_unless_replaced(
    session: AsyncSession, box: SecretBox, clock: Clock, *, customer_id: str, skill_id: str, token: str
) -> bool:
    """`mark_link_invalid` for the skill's INVALID_AUTHORIZATION_CREDENTIAL answer to `token`,
    unless the link holds another access token now: refreshed, or linked again while the directive
    was in flight, which the answer says nothing of (a late answer to the previous link's token
    ended the link the customer had just made: review of 2026-12-07). Returns True when the link
    was kept for that reason. Flushes; the caller's session commits."""
    repo = EnablementRepository(session)
    row = await repo.find(customer_id, skill_id, for_update=True)
    if row is None:
        return False
    if row.access_token_sealed is not None:
        try:
            current = box.open(row.access_token_sealed, context=_context(row, "access"))
        except NotOpened:  # sealed under another key: the answer is taken as about it
            current = token
        if current != token:
            return True
    forget_link(row, clock, NEEDS_RELINK)
    await repo.flush()
    return False


def link_not_stored(why: str) -> ServiceUnavailable:
    """The token server took the app's authCode, and the link could not be stored: the client's
    retry would only meet a code the token server no longer accepts, so the answer says so."""
    return ServiceUnavailable(
        f"The skill's token server exchanged the authCode, but {why}; nothing was stored. The "
        "authCode is spent: get a new one from the skill's authorization server and send the "
        "request again.",
        headers={"Retry-After": "1"},
    )
