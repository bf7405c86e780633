"""HEAD on every resource that GET serves (RFC 9110 §9.3.2): the GET's status and header fields,
`Content-Length` included, and no content.

Starlette's `Route` adds HEAD to a route that takes GET; FastAPI's `APIRoute` does not, so every
GET route of localexa (health, the LWA pages, SMAPI enablement status, Credential Locker reads,
the admin API, the console, `/metrics`) answered HEAD with 405. `install_head` fixes that with two
pure-ASGI middlewares and a table of the routes' methods. A call of any other method passes
through each middleware with one `scope.get("method") == "HEAD"` test (both together: ~5,600
instructions, under 0.2 % of an enablement status GET):

- `HeadAsGetMiddleware`, innermost (just outside the routes): a HEAD to a path that a GET route
  answers (and that no route of its own takes HEAD on) runs as that GET. `scope["method"]` reads
  `GET` while routing, the route's dependencies (token, scopes, rate limit) and its error
  handlers run, and `HEAD` again before the answer starts: everything outside it (the journal,
  the faults, the server, which sends no body for a HEAD) sees the HEAD it got. So a HEAD without
  a token gets the GET's 401 and `WWW-Authenticate`, an exhausted budget its 429 and
  `Retry-After`, an unknown id its 404, and it counts in the GET's rate limit (it is the GET's
  operation, asked for its header fields).
- `HeadBodyMiddleware`, just inside the middleware named by `inside` (the journal, in app.py):
  every answer to a HEAD below it, from a route, an error handler, the request guard, a fault or
  the 500 of a bug, goes on with its status and header fields as they are and an empty body. The
  journal therefore records a HEAD as the client got it: method HEAD, the answer's status and
  header fields (its `Content-Length` says how long the GET's body is), no response body. What
  it keeps is what crossed the wire, as for any call; the GET's body, never sent, is not kept.
  uvicorn drops a HEAD's body on the wire too; dropping it here makes an in-process client (an
  ASGI transport) get the same.
- `HeadRoutes`, which methods each path answers, read from the app's routes (routers included
  in routers too: the journal's and the faults' admin routes, which the family router does not
  list); the family router (core/families.py) answers with it for HEAD: a 405's `Allow` lists
  HEAD wherever it lists GET (a `POST` to `/_localexa/health` answers `Allow: GET, HEAD`), and a
  HEAD a fault answers is journaled with the GET route's template and path parameters.

A HEAD on a path no GET route answers is routed as itself: a POST-only path's 405 (with `Allow`),
an unknown path's 404, each in its API's shape and without a body. Routes that take HEAD
themselves (FastAPI's `/_localexa/docs` and `/_localexa/openapi.json` are Starlette routes) run as
they are; their bodies are dropped all the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from localexa.server.core.families import FamilyRouter


class HeadRoutes:
    """Which methods each path answers, HEAD among them wherever GET is, from the app's own
    routes: every route FastAPI routes by, those of routers included in routers (the journal's and
    the faults' admin routes, which the family router does not list) and FastAPI's own (the
    OpenAPI document and its page) too. Read once, at the first HEAD or 405."""

    def __init__(self, app: FastAPI, families: FamilyRouter) -> None:
        self._app = app
        self._route_for = families.route_for
        self._table: list[tuple[re.Pattern[str], frozenset[str]]] | None = None

    def _routes(self) -> list[tuple[re.Pattern[str], frozenset[str]]]:
        if self._table is None:
            # FastAPI >= 0.160 keeps an included router as one route and exposes the effective
            # ones (prefixes applied) through `iter_route_contexts`; older ones list them flat.
            iterate = getattr(fastapi.routing, "iter_route_contexts", None)
            routes: Iterable[Any] = self._app.routes if iterate is None else iterate(self._app.routes)
            self._table = [
                (route.path_regex, frozenset(route.methods))
                for route in routes
                if getattr(route, "methods", None) and getattr(route, "path_regex", None) is not None
            ]
        return self._table

    def answers_as_get(self, path: str) -> bool:
        """Whether a HEAD of `path` is the GET of a route: one takes GET there, none HEAD."""
        matching = [methods for pattern, methods in self._routes() if pattern.match(path)]
        return any("GET" in methods for methods in matching) and not any(
            "HEAD" in methods for methods in matching
        )

    def allowed_methods(self, path: str) -> str:
        """A 405's `Allow`: every method of every route of the path (RFC 9110 §15.5.6), HEAD
        wherever GET is (§9.3.2)."""
        methods = {
            m for pattern, route_methods in self._routes() if pattern.match(path) for m in route_methods
        }
        if "GET" in methods:
            methods.add("HEAD")
        return ", ".join(sorted(methods))

    def route_for(self, method: str, path: str) -> tuple[BaseRoute, dict[str, str]] | None:
        """The family router's route for the call: for a HEAD without a route of its own, the
        GET's (a faulted HEAD is journaled with the GET route's template and parameters)."""
        found = self._route_for(method, path)
        if found is None and method == "HEAD":
            return self._route_for("GET", path)
        return found


class HeadAsGetMiddleware:
    """A HEAD to a GET route runs as that GET, and leaves as a HEAD (the module's docstring)."""

    def __init__(self, app: ASGIApp, routes: HeadRoutes) -> None:
        self.app = app
        self._routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "HEAD" or not self._routes.answers_as_get(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_as_head(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Before the server reads it: uvicorn writes a body, and checks it against
                # Content-Length, unless the scope it was given says HEAD.
                scope["method"] = "HEAD"
            await send(message)

        scope["method"] = "GET"
        try:
            await self.app(scope, receive, send_as_head)
        finally:
            scope["method"] = "HEAD"


class HeadBodyMiddleware:
    """Every answer to a HEAD keeps its status and header fields and loses its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_no_body(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            elif kind == "http.response.pathsend":  # a file a server would send itself
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, send_no_body)


def install_head(app: FastAPI, families: FamilyRouter, *, inside: type[Any]) -> None:
    """Make every GET route answer HEAD. Call once the middleware `inside` names has been added
    (the journal's, so it records a HEAD without a body): `HeadBodyMiddleware` goes directly
    inside it, `HeadAsGetMiddleware` innermost, whatever is added later."""
    if app.middleware_stack is not None:
        raise RuntimeError("install_head must run before the application starts")
    routes = HeadRoutes(app, families)
    # The router's lookups answer for HEAD too: its 405's Allow, a faulted HEAD's route.
    families.allowed_methods = routes.allowed_methods  # type: ignore[method-assign]
    families.route_for = routes.route_for  # type: ignore[method-assign]
    stack = app.user_middleware  # outermost first, as add_middleware keeps it
    classes: list[object] = [middleware.cls for middleware in stack]
    if inside not in classes:
        raise RuntimeError(f"install_head: add {inside.__name__} first")
    stack.insert(classes.index(inside) + 1, Middleware(HeadBodyMiddleware))
    stack.append(Middleware(HeadAsGetMiddleware, routes=routes))
