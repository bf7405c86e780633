"""The evaluations page's extras: each run's test case count as the API reports it, and the
results of the run that was clicked, titled with its id, or else of the runs the page shows.

A run clicked (`?evaluation_id=`) shows its results only when it is one of the runs the page's
filters show: with filters typed into the URL that leave it out, the page listed runs without it
above the results of it (QA of 2026-12-06); now it says the run is outside the filters and links
to it without them. A run's link keeps the page's filters and cursor, so clicking a run leaves
the runs table as it was.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.console import queries
from localexa.server.console.pages import EVALUATION_RESULT_COLUMNS, EVALUATION_RESULTS, PAGES_BY_SLUG
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


def keep_in_links(runs: queries.Grid, kept: dict[str, str]) -> None:
    """Each run's link with the page's filters and cursor (`kept`) before its `evaluation_id`: it
    dropped them, so clicking a run in a filtered list, or on an older page, showed another list."""
    if not kept or "id" not in runs.columns:
        return
    at = runs.columns.index("id")
    for row in runs.rows:
        cell = row[at]
        if cell.href is not None:
            query = urlencode({**kept, "evaluation_id": cell.text})
            row[at] = queries.Cell(cell.text, f"/console/evaluations?{query}#results")


async def _is_run(engine: AsyncEngine, run: str, filters: dict[str, str]) -> bool:
    """Whether `run` is a run the page's filters show (any run, without filters); true where this
    server has no runs table to ask."""
    page = PAGES_BY_SLUG["evaluations"]
    found = await queries.grid(
        engine, page.title, page.candidates, columns=("id",), where={**filters, "id": run}
    )
    return bool(found.rows) or not found.available


async def _results_of_run(engine: AsyncEngine, run: str, filters: dict[str, str]) -> tuple[str, queries.Grid]:
    heading = f"Test case results of run {run}"
    if not await _is_run(engine, run, {}):
        unknown = queries.Grid(title="Test case results", available=True, filtered=True)
        unknown.empty = f"No run {run}: no evaluation has this id."
        return heading, unknown
    if filters and not await _is_run(engine, run, filters):
        outside = queries.Grid(title="Test case results", available=True, filtered=True)
        outside.empty = f"Run {run} is not among the runs these filters show: its results are not listed."
        outside.empty_link = (
            f"/console/evaluations?{urlencode({'evaluation_id': run})}#results",
            "Show its results without the filters",
        )
        return heading, outside
    return heading, await queries.grid(
        engine,
        "Test case results",
        EVALUATION_RESULTS,
        columns=EVALUATION_RESULT_COLUMNS,
        where={"evaluation_id": run},
    )


async def results_of(
    engine: AsyncEngine, evaluation_id: str, runs: queries.Grid, *, every_run: bool, filters: dict[str, str]
) -> tuple[str, queries.Grid]:
    """The heading and the test case results of the run clicked, the heading naming it (nothing
    said whose results they were), when the page's `filters` show it; without one, those of the
    runs the page shows (`every_run`: all of them, unfiltered and on one page). A filter that
    left no run still listed every run's results (rev4 QA of 2026-12-06): now it says there are
    none."""
    run = evaluation_id.strip()
    if run:
        return await _results_of_run(engine, run, filters)
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
