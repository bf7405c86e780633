"""Keep what was said to a skill and what it answered, and learn from the answer.

Each attempt becomes two `skill_messages` rows (the directive, then the answer or the failure),
redacted with the journal's rules (observe/redaction.py) and of the secrets the directive carried
wherever the answer echoes them (scrub.py). From an answer its verdict calls valid Alexa learns:
`Discover.Response` lists the customer's endpoints (the list is replaced), and `context.properties`
of any other success answer update the endpoint's known state. Nothing is learned from an answer
the verdict calls invalid: a brightness of 150 was stored as the light's state, and a discovery
marked FAILED (an endpoint without the `Alexa` interface, say) replaced 13 known endpoints with
the few that passed on their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.directives.endpoints import apply_properties, upsert_endpoints
from localexa.server.directives.invoker import Invocation
from localexa.server.directives.models import DIRECTIVE, RESPONSE, SkillMessage
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.scrub import Secrets, redact_message, sent_secrets
from localexa.skill.messages import DiscoveryEndpoint
from localexa.skill.problems import Problem
from localexa.skill.validation import WAKE_UP, validate_response


def judged(problems: Sequence[Problem]) -> dict[str, Any]:
    """A verdict as `skill_messages` keeps it and the messages API shows it (`valid`, and each
    problem's `path` and `message`): one shape for a synchronous answer, an event at the gateway,
    an early event adopted at the recording and an evaluation's asynchronous answer."""
    return {"valid": not problems, "problems": [{"path": p.path, "message": p.message} for p in problems]}


@dataclass(frozen=True)
class Attempt:
    message: dict[str, Any]
    invocation: Invocation


def _header(message: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
    inner = (message or {}).get(key)
    header = inner.get("header") if isinstance(inner, Mapping) else None
    return header if isinstance(header, Mapping) else {}


def _endpoint_id(message: Mapping[str, Any] | None, key: str) -> str | None:
    inner = (message or {}).get(key)
    endpoint = inner.get("endpoint") if isinstance(inner, Mapping) else None
    value = endpoint.get("endpointId") if isinstance(endpoint, Mapping) else None
    return _text(value, 256)


def _text(value: Any, limit: int = 200) -> str | None:
    """A header field for its text column: PostgreSQL stores no NUL (a skill's answer may hold
    one), so it is written escaped rather than refusing the whole exchange."""
    return value.replace("\x00", "\\x00")[:limit] if isinstance(value, str) else None


def message_row(
    *,
    at: datetime,
    customer_id: str,
    skill_id: str,
    direction: str,
    exchange_id: str,
    body: Mapping[str, Any] | None,
    key: str,
    verdict: dict[str, Any] | None = None,
    error: dict[str, str] | None = None,
    latency_ms: float | None = None,
    secrets: Secrets = (),
) -> SkillMessage:
    """A `skill_messages` row; `key` is "directive" or "event" (where the header sits);
    `secrets` are hidden wherever the body holds them (scrub.py)."""
    redacted = redact_message(body, secrets) if body is not None else None
    # The columns shown beside the body come from the redacted body (until 2026-12-06 from the raw
    # one, so an `Atza|…` token echoed in a header `name` or an `endpointId` stood in clear). The
    # correlation token is matched against the one sent (evaluation/channel.py): a directive's is
    # kept as sent (localexa's own, or the one its caller chose); a skill's answer or event keeps
    # it redacted too, since a snapshot writes the column to a file (an answer that echoed the
    # customer's token as its correlationToken put the token there). A redacted one matches no
    # directive's: localexa never sends an `Atza|…` correlation token of its own, and refuses one
    # a caller chooses (directives/schemas.py).
    header = _header(redacted, key)
    correlation_header = _header(body, key) if direction == DIRECTIVE else header
    return SkillMessage(
        at=at,
        customer_id=customer_id,
        skill_id=skill_id,
        direction=direction,
        exchange_id=exchange_id,
        namespace=_text(header.get("namespace")),
        name=_text(header.get("name")),
        endpoint_id=_endpoint_id(redacted, key),
        correlation_token=_text(correlation_header.get("correlationToken"), 4096),
        body=redacted,
        # Both may quote the skill's text: redacted as its body is (until 2026-12-06 only of the
        # secrets the directive carried, so an `Atza|…` token the skill echoed stayed in clear).
        verdict=redact_message(verdict, secrets) if verdict is not None else None,
        error=redact_message(error, secrets) if error is not None else None,
        latency_ms=latency_ms,
    )


async def record_exchange(
    session: AsyncSession,
    now: datetime,
    *,
    customer_id: str,
    skill_id: str,
    exchange_id: str,
    attempts: Sequence[Attempt],
    verdicts: Sequence[dict[str, Any]],
    learn: bool = True,
) -> None:
    """Record the exchange; with `learn`, also what the last answer tells (endpoints, state), when
    its verdict (`verdicts[-1]`) calls it valid."""
    repo = DirectiveRepository(session)
    # Every attempt's: an answer to the retry may still echo the expired token.
    secrets = sent_secrets(attempt.message for attempt in attempts)
    for attempt, verdict in zip(attempts, verdicts, strict=True):
        invocation = attempt.invocation
        for direction, body, key in (
            (DIRECTIVE, attempt.message, "directive"),
            (RESPONSE, invocation.answer, "event"),
        ):
            answer = direction == RESPONSE
            repo.add_message(
                message_row(
                    at=now,
                    customer_id=customer_id,
                    skill_id=skill_id,
                    direction=direction,
                    exchange_id=exchange_id,
                    body=body,
                    key=key,
                    verdict=verdict if answer else None,
                    error=invocation.error.wire() if answer and invocation.error else None,
                    latency_ms=invocation.latency_ms if answer else None,
                    secrets=secrets,
                )
            )
    await repo.flush()
    last = attempts[-1]
    token = _deferred_correlation_token(last)
    if token is not None:
        await _adopt_early_events(repo, customer_id, skill_id, token, exchange_id, last.message, now)
    if learn and last.invocation.answer is not None and verdicts[-1].get("valid") is True:
        await learn_from_answer(repo, customer_id, skill_id, last.message, last.invocation.answer, now)
    await repo.prune_messages(customer_id, skill_id)


async def _adopt_early_events(
    repo: DirectiveRepository,
    customer_id: str,
    skill_id: str,
    token: str,
    exchange_id: str,
    directive: Mapping[str, Any],
    now: datetime,
) -> None:
    """File the answers that reached the gateway before their directive was recorded under its
    exchange, judged against it as the gateway judges one that comes after (events/service.py):
    the gateway had no directive to judge them against, so an `Alexa.Response` for another
    endpoint kept a verdict of valid, and an evaluation passed its case on it (until 2026-12-07)."""
    for row in await repo.early_events(customer_id, skill_id, token, exchange_id):
        row.exchange_id = exchange_id
        if (row.namespace, row.name) == WAKE_UP or row.body is None:
            continue  # shares TurnOn's token without being its answer: filed, not judged
        problems = validate_response(directive, row.body, now=lambda: now).problems
        row.verdict = {**(row.verdict or {}), **judged(problems)}


def _deferred_correlation_token(attempt: Attempt) -> str | None:
    """The directive's correlationToken when the skill answered it with a DeferredResponse (its
    real answer comes to the gateway, maybe before this exchange is recorded), else None."""
    header = _header(attempt.invocation.answer, "event")
    if (header.get("namespace"), header.get("name")) != ("Alexa", "DeferredResponse"):
        return None
    token = _header(attempt.message, "directive").get("correlationToken")
    return token if isinstance(token, str) and token else None


async def learn_from_answer(
    repo: DirectiveRepository,
    customer_id: str,
    skill_id: str,
    directive: Mapping[str, Any],
    answer: Mapping[str, Any],
    now: datetime,
) -> None:
    header = _header(answer, "event")
    if header.get("name") == "ErrorResponse":
        return
    sent = _header(directive, "directive")
    if (sent.get("namespace"), sent.get("name")) == ("Alexa.Discovery", "Discover"):
        if (header.get("namespace"), header.get("name")) == ("Alexa.Discovery", "Discover.Response"):
            await upsert_endpoints(
                repo,
                customer_id,
                skill_id,
                valid_endpoints(answer["event"].get("payload")),
                now,
                replace_all=True,
            )
        return
    endpoint_id = _endpoint_id(answer, "event") or _endpoint_id(directive, "directive")
    context = answer.get("context")
    properties = context.get("properties") if isinstance(context, Mapping) else None
    if endpoint_id and isinstance(properties, list):
        await apply_properties(repo, customer_id, skill_id, endpoint_id, properties, now)


def valid_endpoints(payload: Any) -> list[dict[str, Any]]:
    """The endpoints of a discovery payload that pass the discovery schema (an AddOrUpdateReport's
    others are skipped; a Discover.Response with any of them is invalid and learned from not at all)."""
    endpoints = payload.get("endpoints") if isinstance(payload, Mapping) else None
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    for endpoint in endpoints if isinstance(endpoints, list) else []:
        try:
            parsed = DiscoveryEndpoint.model_validate(endpoint)
        except ValidationError:
            continue
        if parsed.endpoint_id not in seen:
            seen.add(parsed.endpoint_id)
            kept.append(parsed.wire())
    return kept
