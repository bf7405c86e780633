"""The evaluations page with a run clicked (`?evaluation_id=`) and filters typed into the URL that
leave that run out: the runs table listed other runs above the clicked run's results (QA of
2026-12-06). It now shows a clicked run's results only when the filters show the run."""

from __future__ import annotations

import html
import re
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import insert

from localexa.server.console import queries
from localexa.server.db.models import metadata
from tests.console.test_console import sign_in
from tests.console.test_console_qa_1206 import _run
from tests.factories import Admin


def _results(page: str) -> str:
    """The page from the results' heading on."""
    return page.split('<h2 id="results">')[1]


def _runs(page: str) -> str:
    """The runs table: the page before the results' heading."""
    return page.split('<h2 id="results">')[0]


async def test_a_run_outside_the_filters_shows_no_results(
    client: httpx.AsyncClient, app: FastAPI, admin: Admin
) -> None:
    skill = await admin.skill()
    other = await admin.skill()
    owner = skill.developer.user_id
    passed = await _run(app, skill.skill_id, owner, "PASSED", total=1, minute=1)
    failed = await _run(app, other.skill_id, owner, "FAILED", total=1, minute=2)
    results = [
        {"evaluation_id": passed, "ordinal": 0, "name": "passed case", "status": "PASSED"},
        {"evaluation_id": failed, "ordinal": 0, "name": "failed case", "status": "FAILED"},
    ]
    async with app.state.engine.begin() as conn:
        await conn.execute(insert(metadata.tables["capability_test_case_results"]), results)
    await sign_in(client)

    for params in ({"status": "passed"}, {"skill_id": skill.skill_id}, {"status": "PASSED", "skill_id": ""}):
        page = await client.get("/console/evaluations", params={**params, "evaluation_id": failed})
        assert page.status_code == 200
        assert failed not in _runs(page.text), params  # the filters leave it out of the runs
        shown = _results(page.text)
        assert shown.startswith(f"Test case results of run {failed}</h2>"), params
        assert "failed case" not in shown, params
        assert "passed case" not in shown, params
        said = html.unescape(shown)
        assert f"Run {failed} is not among the runs these filters show: its results are not listed." in said
        back = f"/console/evaluations?evaluation_id={failed}#results"
        link = f'<a href="{back}">Show its results without the filters</a>'
        assert link in shown, params

    # The filters that show the run show its results, in any letter case as the filter takes it.
    for params in ({"status": "failed"}, {"status": "FAILED", "skill_id": other.skill_id}, {}):
        text = (await client.get("/console/evaluations", params={**params, "evaluation_id": failed})).text
        assert "failed case" in _results(text), params
        assert "passed case" not in text, params

    # A run's link keeps the page's filters: the list stays as it was, with the run's results.
    listed = (await client.get("/console/evaluations", params={"status": "passed"})).text
    href = f"/console/evaluations?status=passed&amp;evaluation_id={passed}#results"
    assert f'<a href="{href}"' in listed
    followed = (await client.get(html.unescape(href).split("#")[0])).text
    assert "passed case" in _results(followed)
    assert failed not in _runs(followed)

    # No run has the id: said so, with or without filters (it said "No test case results match
    # these filters." with none).
    unknown = str(uuid.uuid4())
    for params in ({}, {"status": "passed"}):
        text = (await client.get("/console/evaluations", params={**params, "evaluation_id": unknown})).text
        assert f"No run {unknown}: no evaluation has this id." in _results(text), params


def test_a_run_link_keeps_the_cursor() -> None:
    """On an older page, a run's link keeps the page's cursor (the same runs show after the click)."""
    from localexa.server.console.evaluation_runs import keep_in_links

    runs = queries.Grid(
        title="Evaluations",
        available=True,
        columns=["id", "status"],
        rows=[[queries.Cell("r1", "/console/evaluations?evaluation_id=r1#results"), queries.Cell("PASSED")]],
    )
    keep_in_links(runs, {"status": "passed", "cursor": "abc"})
    assert runs.rows[0][0].href == "/console/evaluations?status=passed&cursor=abc&evaluation_id=r1#results"
    keep_in_links(runs, {})  # no filters, first page: the link is left as built
    assert re.search(r"evaluation_id=r1#results$", runs.rows[0][0].href or "")
