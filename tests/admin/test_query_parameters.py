"""Every admin GET takes the query parameters its route declares, and no other: an unknown one
(`customers?email=`, a snake-case `wait_seconds`, `maxresults`) was ignored and the unfiltered
answer given at once, which read as the answer asked for (re-verification of 2026-12-06; the
journal alone refused them)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.admin_route import AdminRoute, query_names
from localexa.server.core.openapi import _api_routes
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}


def _admin_gets(app: FastAPI) -> list[tuple[str, frozenset[str]]]:
    return [
        (route.path, query_names(route.dependant))
        for route in _api_routes(app)
        if isinstance(getattr(route, "original_route", route), AdminRoute) and "GET" in route.methods
    ]


def test_each_admin_get_takes_the_parameters_its_openapi_operation_lists(app: FastAPI) -> None:
    """The names a GET takes are those the OpenAPI document lists: a parameter added to a route is
    taken, and none the document does not show."""
    paths = app.openapi()["paths"]
    gets = _admin_gets(app)
    assert len(gets) >= 10, gets
    for path, taken in gets:
        listed = {p["name"] for p in paths[path]["get"].get("parameters", []) if p["in"] == "query"}
        assert taken == listed, path


async def test_every_admin_get_refuses_a_parameter_it_does_not_take(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for path, taken in _admin_gets(app):
        url = re.sub(r"\{[^}]+\}", "x", path)
        refused = await client.get(url, params={"bogusName": "1"}, headers=KEY)
        assert refused.status_code == 400, (path, refused.text)
        message = refused.json()["message"]
        assert set(refused.json()) == {"message"}
        assert message.startswith(f"bogusName: not a parameter of GET {path}; it takes "), message
        assert message.endswith(f"{', '.join(sorted(taken))}." if taken else "none."), message
        # The key still comes first.
        assert (await client.get(url, params={"bogusName": "1"})).status_code == 401
        for name in taken:  # a name it takes is never "not a parameter" (its value may be wrong)
            answer = await client.get(url, params={name: "1"}, headers=KEY)
            assert "not a parameter" not in answer.text, (path, name, answer.text)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (
            "email=ada@example.com",
            "email: not a parameter of GET /_localexa/customers; it takes after, limit.",
        ),
        ("a=1&b=2", "a, b: not parameters of GET /_localexa/customers; it takes after, limit."),
        ("=5", "a parameter with an empty name (`?=…`): not a parameter of GET /_localexa/customers"),
    ],
)
async def test_the_message_names_them(client: httpx.AsyncClient, query: str, says: str) -> None:
    refused = await client.get(f"/_localexa/customers?{query}", headers=KEY)
    assert refused.status_code == 400, refused.text
    assert refused.json()["message"].startswith(says), refused.text


async def test_the_directive_routes_snake_case_and_lower_case_spellings(
    admin: Admin, client: httpx.AsyncClient
) -> None:
    """`wait_seconds=5` answered at once ("no endpoints yet"), `maxresults=1` listed 100."""
    customer = await admin.customer()
    skill = await admin.skill()
    base = f"/_localexa/customers/{customer.user_id}/skills/{skill.skill_id}"
    waited = await client.get(f"{base}/endpoints?wait_seconds=5", headers=KEY)
    assert waited.status_code == 400, waited.text
    assert waited.json()["message"] == (
        "wait_seconds: not a parameter of GET /_localexa/customers/{userId}/skills/{skillId}/endpoints; "
        "it takes waitSeconds."
    )
    paged = await client.get(f"{base}/messages?maxresults=1", headers=KEY)
    assert paged.status_code == 400, paged.text
    assert "maxresults: not a parameter" in paged.json()["message"]
    assert "it takes maxResults, nextToken." in paged.json()["message"]
    twice = await client.get(f"{base}/messages?maxResults=1&maxResults=2", headers=KEY)
    assert twice.status_code == 400, twice.text
    assert twice.json()["message"] == "maxResults: given more than once; give each parameter once."
