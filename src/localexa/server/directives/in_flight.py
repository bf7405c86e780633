"""Directives this process has sent and not yet recorded, by customer, skill and correlationToken.

A skill may post its real answer to the event gateway while its DeferredResponse is still on the
way, before localexa has recorded the directive (directives/recording.py adopts such an event into
the directive's exchange afterwards). The gateway had nothing to judge that answer against, so it
learned from it at once: a StateReport answering a TurnOn turned the lamp's known state OFF, and
was judged invalid only when the directive was recorded (review of 2026-12-07). With the directive
in flight here, the gateway judges the answer against it at once, and learns nothing from an
invalid one. An event with a token of no directive, sent or recorded, is still learned from at
once. Per process: an early answer reaching another process behind the same database finds nothing
here and is judged only at the recording, as before (README, Directives).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

_Key = tuple[str, str, str]


class InFlightDirectives:
    """The directives being sent, newest last under each key (a caller may reuse a token)."""

    def __init__(self) -> None:
        self._sent: dict[_Key, list[Mapping[str, Any]]] = {}

    @classmethod
    def of(cls, state: Any) -> InFlightDirectives:
        """The app's registry (`app.state.in_flight_directives`), made on first use."""
        found: InFlightDirectives | None = getattr(state, "in_flight_directives", None)
        if found is None:
            found = cls()
            state.in_flight_directives = found
        return found

    @contextmanager
    def sending(self, customer_id: str, skill_id: str, message: Mapping[str, Any]) -> Iterator[None]:
        """Hold `message` as in flight for the block (until its exchange is recorded)."""
        token = _correlation_token(message)
        if token is None:
            yield
            return
        key = (customer_id, skill_id, token)
        held = self._sent.setdefault(key, [])
        held.append(message)
        try:
            yield
        finally:
            held.remove(message)
            if not held:
                del self._sent[key]

    def directive(self, customer_id: str, skill_id: str, correlation_token: str) -> Mapping[str, Any] | None:
        """The newest directive in flight with this token, or None."""
        held = self._sent.get((customer_id, skill_id, correlation_token))
        return held[-1] if held else None


def _correlation_token(message: Mapping[str, Any]) -> str | None:
    directive = message.get("directive")
    header = directive.get("header") if isinstance(directive, Mapping) else None
    token = header.get("correlationToken") if isinstance(header, Mapping) else None
    return token if isinstance(token, str) and token else None
