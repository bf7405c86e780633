"""The route class of the admin routers (`/_localexa/`): the key first, then the body, as JSON.

- **The key before the body.** FastAPI parses a declared body before it runs the router's
  dependencies, so a call without the key but with a broken body was answered 400, where the
  contract says 401 "without it, or with a wrong one" (admin-api.md). The `AdminKey` dependency
  stays on the routers: the OpenAPI document finds the admin operations by it.
- **One reading of every admin body** (since 2026-12-06), as the customer enablement API and the
  Credential Locker read theirs (core/json_body.py `json_object`): as JSON whatever its
  `Content-Type` (curl's `-d` labels it a form: FastAPI then validated the raw bytes, "Input should
  be a valid dictionary…"), an empty body a 400 saying the body is required and what it holds (it
  was "Field required", naming no field), and a key given twice in one object a 400 naming it
  (`{"advanceSeconds": 1000, "advanceSeconds": 0}` took the last, without a word). FastAPI then
  validates the parsed object against the route's model as before.
- **Only the query parameters a GET declares** (since 2026-12-06): one it does not take
  (`customers?email=`, a snake-case `wait_seconds`, `maxresults`) is a 400 naming it and listing
  those it takes, and one given twice a 400 naming it; both were ignored (the last one taken),
  which read as the answer asked for. The names are the route's own query parameters, those the
  OpenAPI document lists, by their wire names (`query_names`).
- **No cache keeps an answer** (`Cache-Control: no-store`, core/no_store.py): admin answers carry
  client secrets, tokens and whole snapshots.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from localexa.server.core.auth import require_admin_key
from localexa.server.core.errors import BadRequest
from localexa.server.core.json_body import json_object
from localexa.server.core.no_store import not_stored

_JSON = (b"content-type", b"application/json")


def body_shape(model: Any) -> str:
    """`{"advanceSeconds": …}`: the body's required fields, by their wire names, for the message
    of an empty body (`{…}` when the model requires none, or is no model)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return "{…}"
    names = [info.alias or name for name, info in model.model_fields.items() if info.is_required()]
    return "{" + ", ".join(f'"{name}": …' for name in names) + "}" if names else "{…}"


def query_names(dependant: Dependant) -> frozenset[str]:
    """The wire names of the query parameters a route takes, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return frozenset(names)


def _shown(name: str) -> str:
    return name if name else "a parameter with an empty name (`?=…`)"


def check_query(request: Request, accepted: frozenset[str], where: str) -> None:
    """400 for a query parameter `where` (`GET /_localexa/journal`) does not take, or one given
    twice; the admin API's `{"message"}` says which and what it takes."""
    names = [name for name, _ in request.query_params.multi_items()]
    unknown = sorted(set(names) - accepted)
    if unknown:
        shown = ", ".join(_shown(name) for name in unknown)
        what = "a parameter" if len(unknown) == 1 else "parameters"
        takes = f"it takes {', '.join(sorted(accepted))}" if accepted else "it takes none"
        raise BadRequest(f"{shown}: not {what} of {where}; {takes}.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BadRequest(f"{', '.join(repeated)}: given more than once; give each parameter once.")


class AdminRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            accepted = query_names(self.dependant)
            where = f"GET {self.path_format}"
            reads = bool((self.methods or set()) & {"GET", "HEAD"})

            async def route(request: Request) -> Response:
                await require_admin_key(request)
                if reads:
                    check_query(request, accepted, where)
                return not_stored(await handler(request))

            return route
        shape = body_shape(self.body_field.field_info.annotation)

        async def route_with_body(request: Request) -> Response:
            await require_admin_key(request)
            raw = await request.body()
            body = json_object(raw, shape=shape)
            # FastAPI reads a body as JSON only when it is labelled so: it now sees this one
            # labelled JSON and already parsed (strictly, above), whatever the client called it.
            scope = dict(request.scope)
            scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k != _JSON[0]] + [_JSON]
            parsed = Request(scope, request.receive)
            parsed._body = raw
            parsed._json = body
            return not_stored(await handler(parsed))

        return route_with_body
