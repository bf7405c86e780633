"""Directives this process has sent and not yet recorded, by customer, skill and correlationToken.

A skill may post its real answer to the event gateway while its DeferredResponse is still on the
way, before localexa has recorded the directive (directives/recording.py adopts such an event into
the directive's exchange afterwards). The gateway had nothing to judge that answer against, so it
learned from it at once: a StateReport answering a TurnOn turned the lamp's known state OFF, and
was judged invalid only when the directive was recorded (review of 2026-12-07). With the directive
in flight here, the gateway judges the answer against it at once, and learns nothing from an
invalid one. An event with a token of no directive, sent or recorded, is still learned from at
once.

Several processes behind one database: with Redis (`LOCALEXA_REDIS_URL`) each directive in flight
is also held there, redacted (directives/in_flight_redis.py), and the gateway of any process reads
it there when neither the database nor its own process knows the token. Without Redis (a SQLite
file, served by one process), or while Redis fails, an early answer reaching another process than
the sender finds nothing and is judged only at the recording (README, Directives).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from localexa.server.core.app_state import made_once
from localexa.server.core.redis_guard import RedisHealth
from localexa.server.directives.in_flight_redis import SharedInFlight, redis_key, ttl_seconds

_Key = tuple[str, str, str]


class InFlightDirectives:
    """The directives being sent, newest last under each key (a caller may reuse a token)."""

    def __init__(self, shared: SharedInFlight | None = None) -> None:
        self._sent: dict[_Key, list[Mapping[str, Any]]] = {}
        #: The other processes' view (Redis), when there is one.
        self.shared = shared

    @classmethod
    def of(cls, state: Any) -> InFlightDirectives:
        """The app's registry (`app.state.in_flight_directives`), made on first use."""
        return made_once(state, "in_flight_directives", cls)

    def share(
        self,
        redis_url: str | None,
        *,
        directive_timeout: float,
        token_exchange_timeout: float,
        health: RedisHealth | None = None,
    ) -> None:
        """Hold directives in Redis too from now on (the directives router's lifespan: the same
        registry object, which runtimes made before may already hold)."""
        if redis_url and self.shared is None:
            self.shared = SharedInFlight.open(
                redis_url, ttl_seconds(directive_timeout, token_exchange_timeout), health
            )

    async def aclose(self) -> None:
        shared, self.shared = self.shared, None
        if shared is not None:
            await shared.aclose()

    @asynccontextmanager
    async def sending(
        self, customer_id: str, skill_id: str, message: Mapping[str, Any]
    ) -> AsyncIterator[None]:
        """Hold `message` as in flight for the block (until its exchange is recorded)."""
        token = _correlation_token(message)
        if token is None:
            yield
            return
        key = (customer_id, skill_id, token)
        held = self._sent.setdefault(key, [])
        held.append(message)
        shared, kept = self.shared, None
        try:
            if shared is not None:
                kept = await shared.hold(redis_key(*key), message)
            yield
        finally:
            held.remove(message)
            if not held:
                del self._sent[key]
            if shared is not None and kept is not None:
                await shared.release(redis_key(*key), kept)

    async def directive(
        self, customer_id: str, skill_id: str, correlation_token: str
    ) -> Mapping[str, Any] | None:
        """The newest directive in flight with this token, this process's first, or None."""
        held = self._sent.get((customer_id, skill_id, correlation_token))
        if held:
            return held[-1]
        if self.shared is None:
            return None
        return await self.shared.newest(redis_key(customer_id, skill_id, correlation_token))


def _correlation_token(message: Mapping[str, Any]) -> str | None:
    directive = message.get("directive")
    header = directive.get("header") if isinstance(directive, Mapping) else None
    token = header.get("correlationToken") if isinstance(header, Mapping) else None
    return token if isinstance(token, str) and token else None
