"""Console defects of rev4 QA (2026-12-06): query names the overview, faults and clock pages took
silently, Markdown backticks shown literally in messages, and the evaluations page listing every
run's results under runs filtered to none."""

from __future__ import annotations

import re
import uuid

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import insert

from localexa.server.console.pages import PAGES_BY_SLUG
from localexa.server.console.routes import router
from localexa.server.db.models import metadata
from tests.console.test_console import _csrf, sign_in
from tests.console.test_console_qa_1206 import _run
from tests.factories import Admin

#: A value for each path parameter of a console GET route (`{slug}`: every table page).
_PATH_VALUES = {"slug": sorted(PAGES_BY_SLUG), "entry_id": ["1"], "name": ["console.css"]}


def _console_gets() -> list[str]:
    """Every console path that answers GET, its parameters filled in: a route added later is walked
    too (the console has one router, console/router.py)."""
    paths: list[str] = []
    for route in router.routes:
        if not (isinstance(route, APIRoute) and "GET" in (route.methods or set())):
            continue
        expanded = [route.path]
        for name in re.findall(r"{(\w+)}", route.path):
            expanded = [
                path.replace(f"{{{name}}}", value) for path in expanded for value in _PATH_VALUES[name]
            ]
        paths.extend(expanded)
    return paths


def _refusal(page: httpx.Response) -> str:
    """What a refusal says: the message page's paragraph, a table or journal page's error (the
    journal's rows fragment: its row), or the plain text of a static file's."""
    if page.headers["content-type"].startswith("text/plain"):
        return page.text
    found = re.search(
        r'class="error" role="alert">(.*?)</(?:p|td)>|<h1>Bad request</h1>\s*<p>(.*?)</p>', page.text, re.S
    )
    assert found, page.text[-600:]
    return found.group(1) or found.group(2)


async def test_every_console_get_refuses_a_name_it_does_not_take(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """`/console?x=`, `/console/faults?x=` and `/console/clock?x=` answered their page as if `x` meant
    something; the table and journal pages already refused it, as every admin GET does."""
    await sign_in(client)
    paths = _console_gets()
    assert {"/console", "/console/faults", "/console/clock", "/console/login", "/console/journal/1"} <= set(
        paths
    )
    assert "/console/customers" in paths
    assert "/console/static/console.css" in paths
    for path in paths:
        refused = await client.get(path, params={"bogusName": "1"})
        assert refused.status_code == 400, (path, refused.status_code)
        said = _refusal(refused)
        assert said.startswith("bogusName: not a parameter of the console"), (path, said)
        assert "it takes" in said, (path, said)
        twice = await client.get(path, params={"bogusName": ["1", "2"]})
        assert twice.status_code == 400, path
    for path in ("/console", "/console/faults", "/console/clock", "/console/journal/1"):
        refused = await client.get(path, params={"seconds": "60"})
        assert "seconds: not a parameter of the console" in _refusal(refused), path
        assert "it takes none." in _refusal(refused), path
        back = re.search(r'<a href="([^"]+)">Back to', refused.text)
        assert back, path
        assert back.group(1) == path, (path, back)  # to the page itself, without the query
        assert (await client.get(path)).status_code != 400, path
    clock = await client.get("/console/clock", params={"seconds": "60"})
    assert "seconds ahead" not in clock.text
    assert "<form" not in clock.text.split("</header>")[1]
    # What the sign-in page takes is still taken; given twice, it is refused before any redirect.
    assert (
        await client.get("/console/login", params={"next": "/console/clock", "unsaved": "1"})
    ).status_code == 303
    twice = await client.get("/console/login", params={"next": ["/console/clock", "/console/faults"]})
    assert twice.status_code == 400
    assert "next: given more than once" in _refusal(twice)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=str(client.base_url)
    ) as anonymous:
        unsigned = await anonymous.get("/console/login", params={"nxt": "/console"})
        assert unsigned.status_code == 400
        assert "nxt: not a parameter of the console" in _refusal(unsigned)
        assert (await anonymous.get("/console/login", params={"next": "/console/faults"})).status_code == 200


async def test_messages_show_no_markdown_backticks(client: httpx.AsyncClient, admin: Admin) -> None:
    """ "a parameter with an empty name (`?=…`)" showed its backticks on the page; so did the fault
    form's "the `userId` POST /_localexa/customers answered"."""
    await sign_in(client)
    for path in ("/console/customers", "/console/journal", "/console/faults", "/console/clock", "/console"):
        refused = await client.get(f"{path}?=5")
        assert refused.status_code == 400, path
        said = _refusal(refused)
        assert said.startswith("a parameter with an empty name (<code>?=…</code>): not a parameter"), (
            path,
            said,
        )
        assert "`" not in said, (path, said)
    rows = await client.get("/console/journal/rows?=5")
    assert "(<code>?=…</code>)" in rows.text
    assert "`" not in rows.text
    page = await client.get("/console/faults")
    ghost = "amzn1.account.NOBODY"
    form = {"csrf_token": _csrf(page.text), "path": "/v1/x", "status": "503", "customer": ghost}
    refused = await client.post("/console/faults", data=form)
    assert refused.status_code == 400
    assert "the <code>userId</code> POST /_localexa/customers answered" in refused.text
    assert "`" not in refused.text
    # A backtick a user typed is theirs, not markup: it stays as typed, and escaped.
    lone = await client.get("/console/clock", params={"a`<b>": "1"})
    assert "a`&lt;b&gt;: not a parameter" in _refusal(lone)


async def test_results_follow_the_runs_shown(client: httpx.AsyncClient, app: FastAPI, admin: Admin) -> None:
    """Runs filtered to none still showed "Test case results of every run" and all of them."""
    skill = await admin.skill()
    other = await admin.skill()
    owner = skill.developer.user_id
    passed = await _run(app, skill.skill_id, owner, "PASSED", total=2, minute=1)
    failed = await _run(app, other.skill_id, owner, "FAILED", total=1, minute=2)
    bare = await _run(app, other.skill_id, owner, "ERROR", total=1, minute=3)
    results = [
        {"evaluation_id": passed, "ordinal": 0, "name": "passed case", "status": "PASSED"},
        {"evaluation_id": failed, "ordinal": 0, "name": "failed case", "status": "FAILED"},
    ]
    async with app.state.engine.begin() as conn:
        await conn.execute(insert(metadata.tables["capability_test_case_results"]), results)
    await sign_in(client)

    every = (await client.get("/console/evaluations")).text
    assert '<h2 id="results">Test case results of every run</h2>' in every
    assert "passed case" in every
    assert "failed case" in every

    none = await client.get("/console/evaluations", params={"status": "in_progress"})
    assert none.status_code == 200
    results_part = none.text.split('<h2 id="results">')[1]
    assert results_part.startswith("Test case results of the runs shown</h2>")
    assert "passed case" not in none.text
    assert "failed case" not in none.text
    assert "No test case results: no run matches these filters." in results_part

    one = (await client.get("/console/evaluations", params={"skill_id": skill.skill_id})).text
    assert "passed case" in one
    assert "failed case" not in one
    assert "1 of 1 shown" in one.split('<h2 id="results">')[1]

    quiet = (await client.get("/console/evaluations", params={"status": "error"})).text
    assert bare in quiet
    assert "No test case results of the runs shown." in quiet

    chosen = (await client.get("/console/evaluations", params={"evaluation_id": failed})).text
    assert f"Test case results of run {failed}" in chosen
    assert "failed case" in chosen
    assert "passed case" not in chosen
    unknown = str(uuid.uuid4())
    nothing = (await client.get("/console/evaluations", params={"evaluation_id": unknown})).text
    assert f"No run {unknown}: no evaluation has this id." in nothing
