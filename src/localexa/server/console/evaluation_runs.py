"""The evaluations page's extras: each run's test case count as the API reports it, and the
results of the run that was clicked, titled with its id, or else of the runs the page shows.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.console import queries
from localexa.server.console.pages import EVALUATION_RESULT_COLUMNS, EVALUATION_RESULTS
from localexa.server.evaluation.models import FINISHED

#: The column the page shows in place of the stored `total_cases`, named as the API's metric.
TOTAL_COLUMN = "total_test_cases"


async def show_api_totals(engine: AsyncEngine, runs: queries.Grid) -> None:
    """Each run's `totalTestCases` as GET …/capabilityEvaluations/{id} answers it (evaluation/
    service.py): a finished run counts the results it holds, a run still going its plan's size.
    The page showed the stored plan size, so a run that ended in ERROR before any case ran read
    "6" where the API and the CLI say 0 (QA of 2026-12-06)."""
    if not runs.rows or not {"id", "status", "total_cases"} <= set(runs.columns):
        return
    results = queries.table_named(*EVALUATION_RESULTS)
    at = {name: runs.columns.index(name) for name in ("id", "status", "total_cases")}
    finished = [row[at["id"]].text for row in runs.rows if row[at["status"]].text in FINISHED]
    counted: dict[str, int] = {}
    if results is not None and finished:
        run = results.c["evaluation_id"]
        query = select(run, func.count()).where(run.in_(finished)).group_by(run)
        async with engine.connect() as conn:
            counted = {str(run_id): int(n) for run_id, n in (await conn.execute(query)).all()}
    for row in runs.rows:
        if row[at["status"]].text in FINISHED:
            row[at["total_cases"]] = queries.Cell(str(counted.get(row[at["id"]].text, 0)))
    runs.columns[at["total_cases"]] = TOTAL_COLUMN


async def results_of(
    engine: AsyncEngine, evaluation_id: str, runs: queries.Grid, *, every_run: bool
) -> tuple[str, queries.Grid]:
    """The heading and the test case results of the run clicked, the heading naming it (nothing
    said whose results they were); without one, those of the runs the page shows (`every_run`: all
    of them, unfiltered and on one page). A filter that left no run still listed every run's
    results (rev4 QA of 2026-12-06): now it says there are none."""
    run = evaluation_id.strip()
    if run:
        return f"Test case results of run {run}", await queries.grid(
            engine,
            "Test case results",
            EVALUATION_RESULTS,
            columns=EVALUATION_RESULT_COLUMNS,
            where={"evaluation_id": run},
        )
    shown = [row[runs.columns.index("id")].text for row in runs.rows] if "id" in runs.columns else []
    grid = await queries.grid(
        engine,
        "Test case results",
        EVALUATION_RESULTS,
        columns=EVALUATION_RESULT_COLUMNS,
        among=("evaluation_id", shown),
    )
    if every_run:
        grid.empty = "No test case results yet."
    elif not shown:
        where = "matches these filters" if runs.filtered else "is shown above"
        grid.empty = f"No test case results: no run {where}."
    else:
        grid.empty = "No test case results of the runs shown."
    return ("Test case results of every run" if every_run else "Test case results of the runs shown"), grid
