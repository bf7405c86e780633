"""The console as the README's "Web console" section describes it, checked by a user."""

from __future__ import annotations

import httpx
import pytest

from tests.console.test_console import _csrf, sign_in


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("cursor=not-a-cursor", id="cursor"),
        pytest.param("status=abc", id="status"),
        pytest.param("since=yesterday", id="since"),
        pytest.param("region=US", id="region"),
    ],
)
async def test_a_journal_filter_it_refuses_is_a_400_page(client: httpx.AsyncClient, query: str) -> None:
    # "Every console error is a console page with its status": these were 200 pages.
    await sign_in(client)
    page = await client.get(f"/console/journal?{query}")
    assert page.status_code == 400
    assert 'class="error"' in page.text
    rows = await client.get(f"/console/journal/rows?{query}")
    assert rows.status_code == 400


async def test_the_fault_forms_error_has_no_pydantic_prefix(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    csrf = _csrf((await client.get("/console/faults")).text)
    page = await client.post("/console/faults", data={"csrf_token": csrf, "path": "/v1/x"})
    assert page.status_code == 400
    assert "a fault needs a status, a delayMs, or both" in page.text
    assert "Value error" not in page.text
