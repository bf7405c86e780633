"""What a server process does the moment it begins to stop, before its connections drain.

On SIGTERM uvicorn first closes the listeners and waits for every request in flight to be answered
(with no bound by default), and only then runs the lifespan's shutdown. Work in the background
learnt of the stop only there: the evaluation worker sent new directives for seconds after the
SIGTERM and handed its runs over only once the last connection had closed (QA of 2026-12-06). So
`localexa serve` (cli/serve_servers.py `AnnouncingServer`) calls `begin_stopping` as uvicorn's
shutdown begins:

- the evaluation worker claims no run and sends no directive more; each run in hand is handed
  over as soon as its directive in flight is answered (evaluation/worker.py `begin_stop`);
- the after-link follow-ups go on, bounded, so they end before the process does
  (directives/after_link_runner.py `begin_stop`).

The lifespan's shutdown (directives/routes.py) calls it too, for an app served any other way
(the tests' in-process servers), and then waits for both.
"""

from __future__ import annotations

import logging
from typing import Any

from localexa.server.directives.after_link_runner import AfterLinkRunner
from localexa.server.evaluation.worker import stop_evaluation_worker, worker_of

logger = logging.getLogger("localexa.serve")


async def hand_over_runs(app: Any) -> None:
    """A force stop (a second SIGTERM or SIGINT, cli/serve_servers.py): wait for the evaluation
    worker's runs in hand to be handed over, as the lifespan's shutdown would. Only the worker
    is stopped: the rest of the shutdown (the outbound client, the rate limiter, the journal's
    writer, the database engine) is not run, as requests may still be running on them, and a
    force stop cuts them rather than fail them with a 500 and a traceback each. The caller
    bounds the wait (a run whose directive is still in flight hands over when it is answered)."""
    await stop_evaluation_worker(app)


def begin_stopping(app: Any) -> None:
    """Tell the app's background work that the process stops (idempotent, never raises: the
    server's own shutdown must go on whatever happens here)."""
    try:
        worker = worker_of(app)
        if worker is not None:
            worker.begin_stop()
        runner: AfterLinkRunner | None = getattr(app.state, "after_link_runner", None)
        if runner is not None:
            runner.begin_stop()
    except Exception:
        logger.exception("could not tell the background work that the server is stopping")
