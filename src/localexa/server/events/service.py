"""The Alexa event gateway, `POST /v3/events` (spec §4; docs "Send Events to the Event Gateway").

A skill posts proactive reports (`Alexa.ChangeReport`, `Alexa.Discovery.AddOrUpdateReport` /
`DeleteReport`) and asynchronous answers (`Alexa.Response`, `Alexa.StateReport`,
`Alexa.SceneController.ActivationStarted` / `DeactivationStarted`, `ErrorResponse`) with the
customer's event token: an LWA access token of the skill's messaging client for the customer, from
the AcceptGrant code exchange (admin-api.md). Any other event is refused
(`localexa.skill.validation.GATEWAY_EVENTS`), and so is a `timeOfSample` more than
`MAX_SAMPLE_AHEAD` ahead of localexa's clock.

Checks, in order, each with the gateway's own code (spec §4):
- body over 256 KB → 413 REQUEST_ENTITY_TOO_LARGE_EXCEPTION. Amazon documents 256 KB as the
  largest AddOrUpdateReport (Alexa.Discovery interface limits); localexa applies it to every event.
- no, unknown or expired token → 401 INVALID_ACCESS_TOKEN_EXCEPTION;
- a token not issued to a skill's messaging client for a customer, or a skill without
  `alexa::async_event:write` → 403 INSUFFICIENT_PERMISSION_EXCEPTION;
- the customer has not enabled the skill (or the event reached another region's gateway than the
  customer's) → 403 SKILL_DISABLED_EXCEPTION;
- more events than the rate limit allows for the skill → 429 THROTTLING_EXCEPTION;
- not a valid event (skill kit `validate_event`), or a scope token that is not the customer's
  event token → 400 INVALID_REQUEST_EXCEPTION / 401 INVALID_ACCESS_TOKEN_EXCEPTION.

An accepted event is recorded in `skill_messages` and updates what Alexa knows: properties of
ChangeReports and asynchronous answers update the endpoint's state, AddOrUpdateReport and
DeleteReport the endpoint list.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core import strict_json
from localexa.server.core.auth import Principal, insufficient_scope
from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import (
    EVENT_TOO_LARGE_MESSAGE,
    MAX_EVENT_BYTES,
    BadRequest,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from localexa.server.core.strict_json import NonFiniteNumber
from localexa.server.directives.endpoints import apply_properties, upsert_endpoints
from localexa.server.directives.in_flight import InFlightDirectives
from localexa.server.directives.invoker import MAX_ANSWER_DEPTH, too_deep
from localexa.server.directives.models import EVENT
from localexa.server.directives.recording import judged, message_row, valid_endpoints
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.service import ASYNC_EVENT_PERMISSION
from localexa.server.enablement.models import Enablement
from localexa.server.lwa.models import Customer, LwaClient
from localexa.server.lwa.tokens import TokenIssuer
from localexa.server.skills.models import Skill
from localexa.skill.validation import WAKE_UP, validate_event, validate_response

#: Problems listed in a 400's description; the rest are counted.
_PROBLEMS_SHOWN = 5

INVALID_REQUEST = "INVALID_REQUEST_EXCEPTION"
INVALID_ACCESS_TOKEN = "INVALID_ACCESS_TOKEN_EXCEPTION"
SKILL_DISABLED = "SKILL_DISABLED_EXCEPTION"
INSUFFICIENT_PERMISSION = "INSUFFICIENT_PERMISSION_EXCEPTION"
SKILL_NOT_FOUND = "SKILL_NOT_FOUND_EXCEPTION"
REQUEST_ENTITY_TOO_LARGE = "REQUEST_ENTITY_TOO_LARGE_EXCEPTION"
THROTTLING = "THROTTLING_EXCEPTION"


def check_size(body: bytes) -> None:
    if len(body) > MAX_EVENT_BYTES:
        raise PayloadTooLarge(
            EVENT_TOO_LARGE_MESSAGE,
            code=REQUEST_ENTITY_TOO_LARGE,
        )


@dataclass(frozen=True)
class SenderSkill:
    """The skill whose messaging client sends an event."""

    id: str


#: Whether a token may send events, in one statement (on every event): the token's client, its
#: skill and that skill's permissions, whether the customer enabled it, and the customer's
#: region. It was four lookups (client, skill, enablement, customer), one statement each.
_SENDER = (
    select(
        LwaClient.skill_id.label("client_skill_id"),
        Skill.id.label("skill_id"),
        Skill.permissions,
        exists()
        .where(Enablement.customer_id == bindparam("user_id"), Enablement.skill_id == Skill.id)
        .label("enabled"),
        select(Customer.region).where(Customer.id == bindparam("user_id")).scalar_subquery().label("region"),
    )
    .select_from(LwaClient)
    .outerjoin(Skill, Skill.id == LwaClient.skill_id)
    .where(LwaClient.client_id == bindparam("client_id"))
)


class EventGateway:
    def __init__(
        self,
        session: AsyncSession,
        box: SecretBox,
        clock: Clock,
        in_flight: InFlightDirectives | None = None,
    ) -> None:
        self.session = session
        self.box = box
        self.clock = clock
        self.repo = DirectiveRepository(session)
        #: This process's directives not yet recorded, to judge an answer that comes before its
        #: directive's recording against (directives/in_flight.py).
        self.in_flight = in_flight or InFlightDirectives()

    async def sender_skill(self, principal: Principal, region: str | None) -> SenderSkill:
        """The skill the event token speaks for, once it may send this customer's events."""
        row = None
        if principal.user_id is not None:
            conn = await self.session.connection()
            params = {"client_id": principal.client_id, "user_id": principal.user_id}
            row = (await conn.execute(_SENDER, params)).first()
        if row is None or row.client_skill_id is None or principal.user_id is None:
            raise Forbidden(
                "The access token was not issued to a skill's messaging client for a customer.",
                code=INSUFFICIENT_PERMISSION,
            )
        if not principal.has_scope(ASYNC_EVENT_PERMISSION):
            # A messaging client's token minted with other scopes (`profile`) is no event token:
            # AcceptGrant's grant carries this scope (authz37 F1: such a token sent events).
            raise insufficient_scope(
                f"The access token lacks the scope {ASYNC_EVENT_PERMISSION}, which AcceptGrant's "
                "grant carries.",
                [ASYNC_EVENT_PERMISSION],
                code=INSUFFICIENT_PERMISSION,
            )
        if row.skill_id is None:
            raise NotFound("The skill of this token no longer exists.", code=SKILL_NOT_FOUND)
        if ASYNC_EVENT_PERMISSION not in (row.permissions or []):
            # The event token's privilege is the skill's permission (its grant carries it as the
            # scope): RFC 6750's insufficient_scope, naming it. A token of another client is not.
            raise insufficient_scope(
                f"The skill does not have the permission {ASYNC_EVENT_PERMISSION}.",
                [ASYNC_EVENT_PERMISSION],
                code=INSUFFICIENT_PERMISSION,
            )
        if not row.enabled:
            raise Forbidden("The customer has not enabled the skill.", code=SKILL_DISABLED)
        if row.region is not None and region is not None and row.region != region:
            raise Forbidden(
                f"The customer's skill is enabled in the {row.region} region; "
                f"send their events to that region's gateway.",
                code=SKILL_DISABLED,
            )
        return SenderSkill(id=row.skill_id)

    async def accept(self, principal: Principal, skill: SenderSkill, body: bytes) -> None:
        """Validate the event, check its scope token, record it and apply it."""
        assert principal.user_id is not None
        event = _parse(body)
        # By localexa's clock, which may have travelled: a timeOfSample is "in the future" by it.
        verdict = validate_event(event, now=self.clock.now)
        if not verdict.ok:
            shown = "; ".join(str(p) for p in verdict.problems[:_PROBLEMS_SHOWN])
            more = len(verdict.problems) - _PROBLEMS_SHOWN
            raise BadRequest(
                f"The event is not valid: {shown}" + (f" (and {more} more)" if more > 0 else ""),
                code=INVALID_REQUEST,
            )
        await self._check_scope(principal, event)
        header = event["event"]["header"]
        now = self.clock.now()
        exchange_id, answered = await self._exchange_of(
            principal.user_id, skill.id, header.get("correlationToken")
        )
        # An asynchronous answer (after a DeferredResponse) is judged as the directive's answer,
        # as a synchronous one is: the right name and endpointId. It is still taken (202): the
        # verdict is what the messages API and an evaluation read (a Response for another
        # endpoint, or a StateReport answering TurnOn, was filed under the directive as valid).
        # A WakeUp shares the TurnOn's correlationToken without being its answer: filed, not judged.
        problems = (
            list(validate_response(answered, event, now=self.clock.now).problems)
            if answered is not None and not _is_wake_up(header)
            else []
        )
        self.repo.add_message(
            message_row(
                at=now,
                customer_id=principal.user_id,
                skill_id=skill.id,
                direction=EVENT,
                exchange_id=exchange_id,
                body=event,
                key="event",
                verdict={**judged(problems), "name": verdict.name, "errorType": verdict.error_type},
            )
        )
        await self.repo.flush()
        # As from a synchronous answer (directives/), nothing is learned from an asynchronous one
        # its verdict calls invalid: a StateReport answering a TurnOn, or a Response for another
        # endpoint, turned that endpoint's known state (QA of 2026-12-07).
        if not problems:
            await self._apply(principal.user_id, skill.id, event)
        await self.repo.prune_messages(principal.user_id, skill.id)

    async def _check_scope(self, principal: Principal, event: Mapping[str, Any]) -> None:
        """The token inside the event must be this customer's event token too."""
        token = _scope_token(event)
        if token is None or self.box.verify_token(token, principal.token_hash):
            return
        try:
            row = await TokenIssuer(self.session, self.box, self.clock).live_access_token(token)
        except Unauthorized as exc:
            raise Unauthorized(f"The event's scope token: {exc.message}", code=INVALID_ACCESS_TOKEN) from exc
        if row.client_id != principal.client_id or row.user_id != principal.user_id:
            raise Unauthorized(
                "The event's scope token belongs to another customer or client.", code=INVALID_ACCESS_TOKEN
            )

    async def _exchange_of(
        self, customer_id: str, skill_id: str, correlation_token: Any
    ) -> tuple[str, dict[str, Any] | None]:
        """An asynchronous answer joins the exchange of the directive it answers: that exchange
        and the directive's body. One whose directive is still in flight (not recorded yet) gets
        a new exchange, which the recording adopts, and is judged against that directive here.
        A new exchange and None for any other event.

        The directives in flight are looked at first: a caller may reuse a correlationToken, and
        an early answer to the directive in flight was judged against an older recorded one with
        that token, and learned from on that verdict (review of 2026-12-07). Looked at first, they
        also leave no gap: a directive leaves them only once its recording is committed."""
        if isinstance(correlation_token, str) and correlation_token:
            sending = await self.in_flight.directive(customer_id, skill_id, correlation_token)
            if sending is not None:
                return str(uuid.uuid4()), dict(sending)
            found = await self.repo.answered_directive(customer_id, skill_id, correlation_token)
            if found is not None:
                return found
        return str(uuid.uuid4()), None

    async def _apply(self, customer_id: str, skill_id: str, event: Mapping[str, Any]) -> None:
        inner = event["event"]
        header, payload = inner["header"], inner.get("payload") or {}
        now = self.clock.now()
        key = (header["namespace"], header["name"])
        if key == ("Alexa.Discovery", "AddOrUpdateReport"):
            await upsert_endpoints(
                self.repo, customer_id, skill_id, valid_endpoints(payload), now, replace_all=False
            )
            return
        if key == ("Alexa.Discovery", "DeleteReport"):
            ids = [str(e["endpointId"]) for e in payload.get("endpoints", []) if isinstance(e, Mapping)]
            await self.repo.delete_endpoints(customer_id, skill_id, ids)
            return
        if header["name"] == "ErrorResponse":
            return
        endpoint = inner.get("endpoint") or {}
        properties: list[Any] = []
        if key == ("Alexa", "ChangeReport"):
            properties += payload.get("change", {}).get("properties", [])
        context = event.get("context") or {}
        properties += context.get("properties", []) if isinstance(context, Mapping) else []
        if endpoint.get("endpointId") and properties:
            await apply_properties(
                self.repo, customer_id, skill_id, str(endpoint["endpointId"]), properties, now
            )


def _is_wake_up(header: Mapping[str, Any]) -> bool:
    return (header.get("namespace"), header.get("name")) == WAKE_UP


#: How much of a repeated key's name an error quotes (the name is the sender's, of any length).
_KEY_CHARS = 64


def _parse(body: bytes) -> Any:
    """The event, read as strictly as a skill's answer (core/strict_json.py): NaN, Infinity and
    unpaired surrogates are no JSON, and nesting deeper than an answer may (invoker.py) would
    end in a RecursionError in what handles the event next."""
    try:
        # A key twice is refused, as by every other API: the last one won, so a bogus scope token
        # before a valid one was accepted and the reverse refused (fuzz37 F4).
        event = strict_json.loads(body, unique_keys=True)
    except strict_json.RepeatedKey as exc:
        name = exc.name if len(exc.name) <= _KEY_CHARS else f"{exc.name[:_KEY_CHARS]}…"
        raise BadRequest(
            f"The event gives the field {name} more than once in one object; nothing of it was stored.",
            code=INVALID_REQUEST,
        ) from None
    except NonFiniteNumber as exc:
        raise BadRequest(
            f"The event holds a number that is not finite ({exc}); nothing of it was stored.",
            code=INVALID_REQUEST,
        ) from exc
    except strict_json.TooDeep as exc:
        raise BadRequest(strict_json.TOO_DEEP_MESSAGE, code=INVALID_REQUEST) from exc
    except strict_json.TooLongNumber as exc:
        raise BadRequest(strict_json.too_long_number_message("The event"), code=INVALID_REQUEST) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The request body is not valid JSON.", code=INVALID_REQUEST) from exc
    if not isinstance(event, dict):
        # The skill kit's check calls any message an answer; at the gateway it is an event.
        raise BadRequest(f"The event must be a JSON object, not {_json_kind(event)}.", code=INVALID_REQUEST)
    if too_deep(event):
        raise BadRequest(
            f"The event nests objects and arrays more than {MAX_ANSWER_DEPTH} levels deep.",
            code=INVALID_REQUEST,
        )
    return event


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"


def _scope_token(event: Mapping[str, Any]) -> str | None:
    inner = event["event"]
    endpoint = inner.get("endpoint") if isinstance(inner.get("endpoint"), Mapping) else None
    scope = endpoint.get("scope") if endpoint else None
    if scope is None and isinstance(inner.get("payload"), Mapping):
        scope = inner["payload"].get("scope")
    token = scope.get("token") if isinstance(scope, Mapping) else None
    return token if isinstance(token, str) and token else None
