"""Credential Locker rules (seed: Credential Locker REST API reference; spec §7).

Who may call: the LWA access token a skill uses for the event gateway, i.e. a token of the
skill's messaging client for a customer (AcceptGrant exchange or `POST /_localexa/tokens`), and
the skill must hold `alexa::thread_network_credentials:read` (admin-api.md). The token's LWA
scopes are not checked: Amazon gates this API on the skill's permission, not on a token scope.

Whose networks: the customer's. Their Echo is the border router, so every skill of the customer
that holds the permission sees the same networks; another customer's are never visible. Networks
are identified by (extendedPanId, networkName) per customer; a second PUT of one is a 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.auth import Principal, insufficient_scope
from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest, Conflict, Forbidden, Unauthorized
from localexa.server.core.pagination import (
    PageBinding,
    PageSize,
    PageTokenCodec,
    fresh_page_token,
    read_page_request,
)
from localexa.server.core.query_params import repeated_parameter
from localexa.server.credential_locker.models import seal_context
from localexa.server.credential_locker.repository import CredentialLockerRepository
from localexa.server.credential_locker.schemas import ThreadNetworkOut
from localexa.thread import fields as f

THREAD_PERMISSION = "alexa::thread_network_credentials:read"
#: `maxResults` when absent, and its ceiling (Amazon documents neither).
PAGE_SIZE = PageSize(default=10, maximum=100)
PAGE_COLLECTION = "credential-locker/threadNetworks"


def _token_gone() -> Unauthorized:
    """The token's client was deleted (and the token with it) while the call ran: the answer a
    call made after the deletion gets, not a 403 ("not a messaging client") nor an empty list,
    which no order of the call and the deletion explains."""
    return Unauthorized("The access token is not valid.", code="INVALID_TOKEN")


def _not_utf8(query_string: bytes, name: str) -> bool:
    """Whether a `name` parameter of the raw query string is not UTF-8 once percent-decoded.

    Starlette decodes the query with replacement, so `networkName=%ff` reached the route as U+FFFD (a
    valid name, and a 200 with no networks) where the same bytes in a PUT body are a 400. Read
    again here with `surrogateescape`, a byte that is no UTF-8 becomes a lone surrogate, which UTF-8
    cannot encode; a U+FFFD the client sent (`%EF%BF%BD`) is a character like any other."""
    pairs = parse_qsl(
        query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="surrogateescape"
    )
    for key, value in pairs:
        if key == name:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


_QUERY_NAMES = (f.EXTENDED_PAN_ID, f.NETWORK_NAME, "maxResults", "nextToken")


def _repeated(query_string: bytes) -> str | None:
    """A parameter of this API the query gives twice (core/query_params.py), or None."""
    return repeated_parameter(query_string, _QUERY_NAMES)


@dataclass(frozen=True)
class LockerCaller:
    """A skill acting for a customer."""

    skill_id: str
    client_id: str
    user_id: str


class CredentialLockerService:
    def __init__(self, session: AsyncSession, box: SecretBox, clock: Clock, codec: PageTokenCodec) -> None:
        self.repo = CredentialLockerRepository(session)
        self.box = box
        self.clock = clock
        self.codec = codec

    async def caller(self, principal: Principal) -> LockerCaller:
        """The skill and customer behind a live token, or 403."""
        client = await self.repo.caller_client(principal.client_id, principal.token_hash, principal.user_id)
        if client is None:
            raise _token_gone()
        skill = client.skill
        if skill is None:
            raise Forbidden(
                "The access token was not issued to a skill's messaging client; use the token the "
                "skill got from the AcceptGrant code exchange (the one it sends events with)."
            )
        if principal.user_id is None:
            raise Forbidden("The access token does not belong to a customer.")
        if client.disabled_since:
            # As the event gateway's SKILL_DISABLED_EXCEPTION: the grant this token came from
            # ended when the skill was disabled, and it is not enabled again; the token read the
            # customer's network keys until it expired (QA of 2026-12-05).
            raise Forbidden(
                "The skill was disabled for this customer since this token was issued: its grant "
                "ended. The skill gets a new one once the customer enables and links it again."
            )
        if THREAD_PERMISSION not in (skill.permissions or []):
            # The token's privileges are its skill's permissions: RFC 6750's insufficient_scope,
            # naming the one it lacks (the two refusals above are the wrong kind of token).
            raise insufficient_scope(
                f"Skill {skill.id} lacks the permission {THREAD_PERMISSION}.",
                [THREAD_PERMISSION],
                code="INSUFFICIENT_PERMISSION",
            )
        return LockerCaller(skill_id=skill.id, client_id=principal.client_id, user_id=principal.user_id)

    async def create(self, caller: LockerCaller, network: dict[str, str | int]) -> None:
        """Store a checked, normalized `threadNetwork` (schemas.parse_put_body); 409 if it exists."""
        xpan, name = str(network[f.EXTENDED_PAN_ID]), str(network[f.NETWORK_NAME])
        conflict = Conflict(
            f"A Thread network with extendedPanId {xpan} and networkName {name!r} already exists.",
            code="ALREADY_EXISTS",
        )

        def seal(column: str) -> str | None:
            value = network.get(column)
            if value is None:
                return None
            return self.box.seal(str(value), context=seal_context(caller.user_id, xpan, name, column))

        pan_id, channel = network.get(f.PAN_ID), network.get(f.CHANNEL_NUMBER)
        agent = network.get(f.DEFAULT_BORDER_AGENT_ID)
        row = {
            "user_id": caller.user_id,
            "extended_pan_id": xpan,
            "network_name": name,
            "network_key_sealed": seal(f.NETWORK_KEY) or "",
            "pskc_sealed": seal(f.PSKC),
            "pan_id": None if pan_id is None else str(pan_id),
            "channel_number": None if channel is None else int(channel),
            "default_border_agent_id": None if agent is None else str(agent),
            "created_by_skill_id": caller.skill_id,
            "created_at": self.clock.now(),
        }
        if not await self.repo.add_network(row):
            raise conflict

    async def list(
        self,
        caller: LockerCaller,
        *,
        extended_pan_id: str | None,
        network_name: str | None,
        max_results: str | None,
        next_token: str | None,
        query_string: bytes = b"",
    ) -> tuple[list[ThreadNetworkOut], str | None]:
        """One page of the customer's networks with this extended PAN ID (and name).
        `query_string` is the request's, undecoded: a name that is not UTF-8 is refused as the
        PUT refuses it, not read as the U+FFFD it was decoded to."""
        if (twice := _repeated(query_string)) is not None:
            raise BadRequest(f"The query parameter {twice} is given more than once.")
        if extended_pan_id is None:
            raise BadRequest(f"The query parameter {f.EXTENDED_PAN_ID} is required.")
        # Only a decoded name holding U+FFFD can have been bytes that are not UTF-8: a cheap test
        # before reading the query again.
        if network_name is not None and "\ufffd" in network_name and _not_utf8(query_string, f.NETWORK_NAME):
            raise BadRequest(f"{f.NETWORK_NAME} must be valid UTF-8.")
        try:
            xpan = f.check_extended_pan_id(extended_pan_id)
            name = None if network_name is None else f.check_network_name(network_name)
        except f.InvalidField as exc:
            raise BadRequest(exc.message) from None
        binding = PageBinding(
            PAGE_COLLECTION,
            caller=f"{caller.client_id}\n{caller.user_id}",
            query={f.EXTENDED_PAN_ID: xpan, f.NETWORK_NAME: name},
        )
        now = self.clock.now()
        request = read_page_request(
            self.codec, binding, max_results=max_results, next_token=next_token, size=PAGE_SIZE, now=now
        )
        page = await self.repo.networks_page(caller.user_id, xpan, name, request)
        if not page.items and not await self.repo.client_exists(caller.client_id):
            # The page was read after a reset or restore that began once `caller` was checked:
            # its emptiness belongs to a moment the token no longer existed.
            raise _token_gone()
        networks = [self._view(row) for row in page.items]
        return networks, await fresh_page_token(
            self.codec, binding, page.next_key, clock=self.clock, session=self.repo.session
        )

    def _view(self, row: Row[Any]) -> ThreadNetworkOut:
        """A stored network as the API shows it (`row`: thread_networks' columns)."""

        def unseal(sealed: str | None, column: str) -> str | None:
            if sealed is None:
                return None
            context = seal_context(row.user_id, row.extended_pan_id, row.network_name, column)
            return self.box.open(sealed, context=context)

        return ThreadNetworkOut(
            extended_pan_id=row.extended_pan_id,
            network_name=row.network_name,
            network_key=unseal(row.network_key_sealed, f.NETWORK_KEY) or "",
            pskc=unseal(row.pskc_sealed, f.PSKC),
            pan_id=row.pan_id,
            channel_number=row.channel_number,
            default_border_agent_id=row.default_border_agent_id,
        )
