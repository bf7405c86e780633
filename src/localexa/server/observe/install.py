"""Wiring observe-and-steer into the app: middlewares at build time, the journal writer and the
outbound observer in the lifespan.

Middleware order, outermost first (app.py adds them):
RequestId → Region → Observe (journal + metrics) → Faults → RequestGuard → ClockRefresh → routes.
Region sits outside faults so a fault can match a region; faults sit inside the journal so an
injected answer is journaled with its request id.
"""

from __future__ import annotations

from fastapi import FastAPI

from localexa.server.observe.fault_middleware import FaultMiddleware
from localexa.server.observe.faults import FaultStore
from localexa.server.observe.journal import Journal
from localexa.server.observe.journal_store import open_journal_engine
from localexa.server.observe.metrics import Metrics
from localexa.server.observe.middleware import ObserveMiddleware, OutboundObserver
from localexa.server.settings import Settings


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Add the fault and journal middlewares (call between RequestGuard and Region in create_app)."""
    app.state.metrics = Metrics()
    app.state.reset_hooks = []
    app.state.journal_retention = settings.journal_retention
    app.add_middleware(FaultMiddleware)
    app.add_middleware(ObserveMiddleware)


async def start_observability(app: FastAPI) -> None:
    """Lifespan start, once the engine, clock and outbound client exist."""
    metrics: Metrics = app.state.metrics
    journal = Journal(
        await open_journal_engine(app.state.engine),
        state_engine=app.state.engine,
        retention=app.state.journal_retention,
        on_drop=metrics.journal_dropped.inc,
        on_discard=metrics.journal_discarded.inc,
    )
    await journal.prepare()
    journal.start()
    app.state.journal = journal
    app.state.faults = FaultStore(app.state.engine)
    app.state.outbound.observers.append(OutboundObserver(journal, app.state.clock, metrics))


async def stop_observability(app: FastAPI) -> None:
    """Lifespan end: write what the journal still holds."""
    journal: Journal | None = getattr(app.state, "journal", None)
    if journal is not None:
        await journal.stop()
