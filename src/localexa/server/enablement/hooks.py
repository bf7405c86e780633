"""After-link hooks: what runs once a customer's link is committed (Discover, AcceptGrant, …).

Other areas register an async callable taking `(app, enablement_id)`:

    from localexa.server.enablement.hooks import add_after_link_hook
    add_after_link_hook(app, send_accept_grant)     # e.g. from a startup hook

`app.state.after_link_hooks` is a plain list (created on first use). The POST enablement handler
schedules them through `AfterCommitDep`, a request-scoped dependency whose code after `yield`
runs once the response is sent: after `SessionDep` (function scope) committed when the handler
returned, and only if nothing failed. Declared before `SessionDep`, it would also exit after a
request-scoped session. A failing hook is logged; the link stays.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI

logger = logging.getLogger("localexa.enablement")

AfterLinkHook = Callable[[FastAPI, str], Awaitable[None]]


def after_link_hooks(app: FastAPI) -> list[AfterLinkHook]:
    hooks: list[AfterLinkHook] | None = getattr(app.state, "after_link_hooks", None)
    if hooks is None:
        hooks = []
        app.state.after_link_hooks = hooks
    return hooks


def add_after_link_hook(app: FastAPI, hook: AfterLinkHook) -> None:
    after_link_hooks(app).append(hook)


async def run_after_link_hooks(app: FastAPI, enablement_id: str) -> None:
    for hook in list(after_link_hooks(app)):
        try:
            await hook(app, enablement_id)
        except Exception:
            logger.exception("after-link hook %r failed for enablement %s", hook, enablement_id)


class AfterCommit:
    """Work to do once the request's transaction has committed."""

    def __init__(self) -> None:
        self._jobs: list[Callable[[], Awaitable[None]]] = []

    def add(self, job: Callable[[], Awaitable[None]]) -> None:
        self._jobs.append(job)

    async def run(self) -> None:
        for job in self._jobs:
            try:
                await job()
            except Exception:
                logger.exception("after-commit job failed")


async def _after_commit() -> AsyncIterator[AfterCommit]:
    jobs = AfterCommit()
    yield jobs
    # Reached only when the handler and the commit succeeded (an error is raised at the yield).
    await jobs.run()


#: Declare it first in a handler's parameters (see the module docstring).
AfterCommitDep = Annotated[AfterCommit, Depends(_after_commit)]
