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
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel

from localexa.server.core.auth import require_admin_key
from localexa.server.core.json_body import json_object

_JSON = (b"content-type", b"application/json")


def body_shape(model: Any) -> str:
    """`{"advanceSeconds": …}`: the body's required fields, by their wire names, for the message
    of an empty body (`{…}` when the model requires none, or is no model)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return "{…}"
    names = [info.alias or name for name, info in model.model_fields.items() if info.is_required()]
    return "{" + ", ".join(f'"{name}": …' for name in names) + "}" if names else "{…}"


class AdminRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:

            async def route(request: Request) -> Response:
                await require_admin_key(request)
                return await handler(request)

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
            return await handler(parsed)

        return route_with_body
