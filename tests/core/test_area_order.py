"""server/api.py orders the areas' routers for speed, which is only safe while no request could
be claimed by routes of two areas: then the order decides nothing but how soon a match is found."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from starlette.convertors import CONVERTOR_TYPES
from starlette.routing import Route

from localexa.server.api import ROUTERS
from localexa.server.lwa.routes import router as lwa_router

_PARAM = re.compile(r"{([^}:]+)(?::([^}]+))?}")


def sample_path(template: str) -> str:
    """A concrete path the template matches: each parameter becomes a plain segment, a `path` one
    two segments, one of lwa/any_case.py the path it matches in any letter case."""

    def sample(match: re.Match[str]) -> str:
        kind = match.group(2)
        if kind == "path":
            return "p1/p2"
        return str(getattr(CONVERTOR_TYPES.get(kind or "str"), "canonical_path", "p1"))

    return _PARAM.sub(sample, template)


def area_routes() -> list[tuple[int, Route]]:
    return [
        (index, route)
        for index, router in enumerate(ROUTERS)
        for route in router.routes
        if isinstance(route, Route)
    ]


def test_no_request_matches_routes_of_two_areas() -> None:
    routes = area_routes()
    assert len(routes) > 40
    clashes = []
    for index, route in routes:
        path = sample_path(route.path)
        assert route.path_regex.match(path), (route.path, path)
        for other_index, other in routes:
            if other_index == index or not other.path_regex.match(path):
                continue
            if set(route.methods or ()) & set(other.methods or ()):
                clashes.append((route.path, other.path))
    assert clashes == []


def test_the_hot_apis_come_before_the_admin_api() -> None:
    paths = [route.path_format for _, route in area_routes() if isinstance(route, APIRoute)]
    assert ROUTERS[0] is lwa_router
    first_admin = next(i for i, p in enumerate(paths) if p.startswith("/_localexa/"))
    for hot in (
        "/auth/o2/token",
        "/v1/skills/{skill_id}/stages/{stage}/enablement",
        "/credentiallocker/v2/threadNetworks",
    ):
        assert paths.index(hot) < first_admin, hot
