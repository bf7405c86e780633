"""On whose behalf localexa calls out: the customer and skill its outbound calls are journaled with.

An outbound call inherits the attribution of the inbound call that caused it (middleware.py
`current_call`), but that call does not always name them where the journal looks: a
`POST /_localexa/directives` names them in its body, which the journal reads only once the call
is over, and the evaluation worker and the after-link follow-ups a restore starts again run in
no call at all. The code that knows them (directives/service.py `send_directive`) says so with
`acting_for(...)` around the work; the outbound observer reads it first.

A context variable, not the request's state: it reaches background tasks too, and it is the
work's own (asyncio copies the context into each task), so two directives under way at once
never see each other's.
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Behalf:
    customer: str | None
    skill: str | None
    #: The customer's region once the work has read it (None: the call's own, as before).
    region: str | None = None


#: Set while localexa works for one customer's skill; None (the default) inherits from the call.
on_behalf_of: contextvars.ContextVar[Behalf | None] = contextvars.ContextVar(
    "localexa_on_behalf_of", default=None
)


@contextmanager
def acting_for(customer: str | None, skill: str | None) -> Iterator[None]:
    """Journal the outbound calls made inside the block as made for `customer` and `skill`."""
    token = on_behalf_of.set(Behalf(customer, skill))
    try:
        yield
    finally:
        on_behalf_of.reset(token)


def in_region(region: str) -> None:
    """The customer's region, read inside `acting_for`: the outbound calls after it are
    journaled in it. Before, they took the region of the call that caused them, so a directive
    for an EU customer sent through the NA admin port was journaled NA, and an evaluation run's
    calls (in no call at all) had none (QA of 2026-12-05)."""
    current = on_behalf_of.get()
    if current is not None:
        on_behalf_of.set(dataclasses.replace(current, region=region))
