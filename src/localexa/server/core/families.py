"""Which API family (error shape) each path speaks, and what its routes answer.

Areas register path prefixes, and mark single routes with `errors_as`; `FamilyRouter` answers
for any path, also for calls answered before routing (the request guard, faults) and for a
405's `Allow`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from starlette.routing import BaseRoute

from localexa.server.core.errors import ApiFamily

_FAMILY_MARK = "__localexa_error_family__"
_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def errors_as(family: ApiFamily) -> Callable[[_Endpoint], _Endpoint]:
    """Route decorator: errors on the route's path, any method or letter case, speak `family`."""

    def mark(endpoint: _Endpoint) -> _Endpoint:
        setattr(endpoint, _FAMILY_MARK, family)
        return endpoint

    return mark


class FamilyRouter:
    """Maps request paths to API families, and to the routes that answer them; areas register
    their prefixes and routes at app build."""

    def __init__(self, default: ApiFamily = ApiFamily.SMAPI) -> None:
        self._rules: list[tuple[str, ApiFamily]] = []
        self._default = default
        self._routes: list[tuple[re.Pattern[str], frozenset[str], BaseRoute]] = []
        self._marked: list[tuple[re.Pattern[str], ApiFamily]] = []

    def register_routes(self, routes: Iterable[BaseRoute]) -> None:
        for route in routes:
            pattern: re.Pattern[str] | None = getattr(route, "path_regex", None)
            methods: set[str] | None = getattr(route, "methods", None)
            if pattern is not None and methods:
                self._routes.append((pattern, frozenset(methods), route))
            family: ApiFamily | None = getattr(getattr(route, "endpoint", None), _FAMILY_MARK, None)
            if pattern is not None and family is not None:
                # Prefixes match in any letter case; so do marked paths (/auth/O2/token).
                self._marked.append((re.compile(pattern.pattern, re.IGNORECASE), family))

    def allowed_methods(self, path: str) -> str:
        """What a 405's `Allow` lists: the methods of every route of the path, not only of the
        first one Starlette tried (the Credential Locker's GET and PUT are two routes)."""
        methods = {
            m for pattern, route_methods, _ in self._routes if pattern.match(path) for m in route_methods
        }
        return ", ".join(sorted(methods))

    def route_for(self, method: str, path: str) -> tuple[BaseRoute, dict[str, str]] | None:
        """The route that would answer this call, and its path parameters (for a call answered
        before routing, such as a fault, so its journal entry still names them)."""
        for pattern, methods, route in self._routes:
            match = pattern.match(path)
            if match is not None and method in methods:
                return route, match.groupdict()
        return None

    def register(self, prefix: str, family: ApiFamily) -> None:
        self._rules.append((prefix.lower(), family))
        # Longest prefix first, so /v1/users/~current wins over /v1.
        self._rules.sort(key=lambda rule: len(rule[0]), reverse=True)

    def family_for(self, path: str) -> ApiFamily:
        for pattern, marked in self._marked:
            if pattern.match(path):
                return marked
        lowered = path.lower()
        for prefix, family in self._rules:
            if lowered.startswith(prefix):
                return family
        return self._default
