"""How a run talks to the skill: the directives area's `send_directive`, as the developer's own
account, to one endpoint (the token is the linked one, refreshed when it expires).

Everything the runner needs is an `Exchange`: the directive as sent and the answer (both redacted),
whether the skill answered at all, and the answer's verdict from the skill kit's checks.

A skill may answer `Alexa.DeferredResponse` and post the real answer (`Alexa.Response`,
`Alexa.StateReport`, an `ErrorResponse`) to the event gateway later, with the directive's
correlationToken: the gateway files it under the directive's exchange, and the channel waits for
it there, so the case is judged on that answer. The wait ends with the case's own time limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select

from localexa.server.core.errors import LocalexaError
from localexa.server.directives.models import EVENT, SkillMessage
from localexa.server.directives.recording import judged
from localexa.server.directives.runtime import Runtime
from localexa.server.directives.service import DirectiveRequest, send_directive
from localexa.skill.validation import WAKE_UP, validate_response

DEFERRED = "Alexa.DeferredResponse"
#: How often the channel looks for a deferred directive's asynchronous answer.
ASYNC_ANSWER_POLL_SECONDS = 0.1


class Stopping(Exception):
    """This process is shutting down: hand the run in hand over between two steps."""


class StateReplaced(Exception):
    """A reset or restore in this process replaced the run's state: stop, hand nothing over."""


class ChannelClosed(Exception):
    """The directive could not be sent at all (no usable link, skill not enabled)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Exchange:
    directive: dict[str, Any]
    response: dict[str, Any] | None
    #: Why there is no answer (timeout, unreachable, crashed handler); None when it answered.
    failure: str | None = None
    verdict: dict[str, Any] = field(default_factory=dict)

    @property
    def header(self) -> dict[str, Any]:
        event = (self.response or {}).get("event")
        header = event.get("header") if isinstance(event, dict) else None
        return header if isinstance(header, dict) else {}

    @property
    def answer_name(self) -> str:
        """`Alexa.Response`, `Alexa.ErrorResponse`, `Alexa.StateReport`, … ('' without one)."""
        header = self.header
        return f"{header.get('namespace', '')}.{header.get('name', '')}" if header else ""

    def problems(self) -> list[str]:
        return [
            f"{p.get('path')}: {p.get('message')}" if p.get("path") else str(p.get("message"))
            for p in self.verdict.get("problems", [])
        ]

    def properties(self) -> list[dict[str, Any]]:
        context = (self.response or {}).get("context")
        props = context.get("properties") if isinstance(context, dict) else None
        return [dict(p) for p in props if isinstance(p, dict)] if isinstance(props, list) else []


class SkillChannel(Protocol):
    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        """Send one directive to the endpoint under test (Discover goes to the skill)."""
        ...


class DirectiveChannel:
    """The real channel: `send_directive` for the developer's account and one endpoint."""

    def __init__(self, runtime: Runtime, *, user_id: str, skill_id: str, endpoint_id: str) -> None:
        self.runtime = runtime
        self.user_id = user_id
        self.skill_id = skill_id
        self.endpoint_id = endpoint_id
        #: The directive object of the send under way, once built (None before): what a test case
        #: cut off by its time limit was waiting on.
        self.last_sent: dict[str, Any] | None = None
        #: Whether the worker is stopping (set by `StopGate`): a deferred answer is
        #: then no longer waited for.
        self.stopping: Callable[[], bool] = _never
        #: True while the send under way waits for the answer the skill announced with its
        #: DeferredResponse (a case cut off then says so, not that the step got no answer).
        self.deferred = False

    def _sent(self, message: dict[str, Any]) -> None:
        inner = message.get("directive")
        self.last_sent = inner if isinstance(inner, dict) else message

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        discover = (namespace, name) == ("Alexa.Discovery", "Discover")
        request = DirectiveRequest(
            user_id=self.user_id,
            skill_id=self.skill_id,
            namespace=namespace,
            name=name,
            endpoint_id=None if discover else self.endpoint_id,
            payload=dict(payload or {}),
            on_sent=self._sent,
        )
        self.last_sent, self.deferred = None, False
        try:
            result = await send_directive(self.runtime, request)
        except LocalexaError as exc:
            raise ChannelClosed(exc.message) from exc
        failure = result.error["message"] if result.error else None
        # The directive object itself ({header, endpoint, payload}), as test plans write it.
        inner = result.directive.get("directive")
        exchange = Exchange(
            directive=inner if isinstance(inner, dict) else result.directive,
            response=result.response,
            failure=failure,
            verdict=result.verdict,
        )
        token = (exchange.directive.get("header") or {}).get("correlationToken")
        # A DeferredResponse that is itself wrong (another correlationToken, a bad header) is the
        # step's answer: the case fails on it, as on a synchronous answer that echoes another
        # token (it passed on the answer posted later until 2026-12-07).
        deferred_well = exchange.answer_name == DEFERRED and exchange.verdict.get("valid", True)
        if failure is None and deferred_well and isinstance(token, str) and token:
            self.deferred = True
            answer = await self._asynchronous_answer(exchange, token)
            self.deferred = False
            return answer
        return exchange

    async def _asynchronous_answer(self, deferred: Exchange, correlation_token: str) -> Exchange:
        """The event the skill posted to the gateway with the directive's correlationToken, once it
        is there (the gateway may be another process's: the database is where they meet). By the
        token, not the exchange id: a skill quick enough posts before the directive's own rows are
        committed, and its event joins the exchange only then (recording.py)."""
        query = (
            select(SkillMessage.body)
            .where(
                SkillMessage.customer_id == self.user_id,
                SkillMessage.skill_id == self.skill_id,
                SkillMessage.direction == EVENT,
                SkillMessage.correlation_token == correlation_token,
                # A WakeUp echoes TurnOn's token too, and is no answer (Alexa.WakeOnLANController).
                SkillMessage.name != WAKE_UP[1],
            )
            .order_by(SkillMessage.id)
            .limit(1)
        )
        while True:
            async with self.runtime.transaction() as session:
                found = (await session.execute(query)).first()
            if found is not None:
                # Judged here against the directive, not by the verdict stored with the event: one
                # that reached another process's gateway while this directive was being recorded
                # found no directive to be judged against there, nor was it adopted (and judged)
                # by the recording, which had not seen it yet; it kept a verdict of valid.
                problems = validate_response(
                    deferred.directive, found.body, now=self.runtime.clock.now
                ).problems
                return Exchange(directive=deferred.directive, response=found.body, verdict=judged(problems))
            if self.stopping():
                # The skill may take minutes to post its answer: the case is handed over now (the
                # next worker runs it again), not when the stop grace cuts the wait off and the
                # run waits out its lease (re-verification of 2026-12-06).
                raise Stopping()
            await asyncio.sleep(ASYNC_ANSWER_POLL_SECONDS)


class StopGate:
    """A run's channel (worker.py) that sends nothing once its worker is stopping (`Stopping` instead).

    A test case sends several directives (its set-ups, the directive under test, ReportState).
    Stopped between two cases only, a worker went on sending the rest of the case in flight after
    SIGTERM (QA of 2026-12-06: a directive sent and answered 3.8 s after it, then "handed over").
    Now the directive in flight is answered and no new one goes out: the case is handed over
    unrecorded, and the next worker runs it again from its first set-up."""

    def __init__(
        self, inner: SkillChannel, stopping: Callable[[], bool], replaced: Callable[[], bool] | None = None
    ) -> None:
        self.inner = inner
        self.stopping = stopping
        #: True once a reset or restore replaced the run's state: nothing more goes out
        #: (`StateReplaced`; since 2026-12-06 the run sent the rest of its test case first).
        self.replaced = replaced or _never
        if isinstance(inner, DirectiveChannel):  # nor waits for a deferred answer (above)
            inner.stopping = stopping

    @property
    def last_sent(self) -> dict[str, Any] | None:
        """The directive the send under way carried, once built (cases.py `run_case_in_time`)."""
        return self.inner.last_sent if isinstance(self.inner, DirectiveChannel) else None

    @property
    def deferred(self) -> bool:
        """Whether the send under way waits for an answer announced by a DeferredResponse."""
        return isinstance(self.inner, DirectiveChannel) and self.inner.deferred

    async def send(self, namespace: str, name: str, payload: dict[str, Any] | None = None) -> Exchange:
        if self.stopping():
            raise Stopping()
        if self.replaced():
            raise StateReplaced()
        return await self.inner.send(namespace, name, payload)


def _never() -> bool:
    return False
