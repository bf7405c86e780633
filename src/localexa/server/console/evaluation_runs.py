"""The evaluations page's extras: each run's test case count as the API reports it, and the
results of the run that was clicked, titled with its id.
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


async def results_of(engine: AsyncEngine, evaluation_id: str) -> tuple[str, queries.Grid]:
    """The heading and the test case results of the run clicked: the heading names the run
    (nothing said whose results they were); without one, every run's, and the heading says so."""
    run = evaluation_id.strip()
    heading = f"Test case results of run {run}" if run else "Test case results of every run"
    grid = await queries.grid(
        engine,
        "Test case results",
        EVALUATION_RESULTS,
        columns=EVALUATION_RESULT_COLUMNS,
        where={"evaluation_id": run},
    )
    return heading, grid
