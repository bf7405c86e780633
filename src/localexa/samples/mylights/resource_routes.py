"""My Lights' resource server: `GET/PUT /lights` and `GET/PUT /lights/{id}` with a bearer token
(RFC 6750: 401 `invalid_token` for a bad or expired token, 403 `insufficient_scope`).

A change made here (the My Lights app) is reported to Alexa as a ChangeReport with cause
APP_INTERACTION, after the answer is sent.
"""

from __future__ import annotations

from typing import Any

from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.samples.mylights.cloud import DeviceCloud, UnknownLight
from localexa.samples.mylights.errors import error_response, json_or_none
from localexa.samples.mylights.lights import Light, LightValueError
from localexa.skill import CauseType, TokenStatus

SCOPE = "lights"


class Unauthorized(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _challenge(status: int, error: str | None, description: str) -> Response:
    """RFC 6750 §3: the WWW-Authenticate challenge, with the error when a token was sent."""
    value = 'Bearer realm="mylights"' + (
        f', error="{error}", error_description="{description}"' if error else ""
    )
    return error_response(error or "invalid_request", description, status, {"WWW-Authenticate": value})


def current_user(cloud: DeviceCloud, request: Request) -> str:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        raise Unauthorized(_challenge(401, None, "A bearer token is required."))
    check = cloud.check_token(header[7:].strip())
    if check.status is TokenStatus.EXPIRED:
        raise Unauthorized(_challenge(401, "invalid_token", "The access token expired"))
    if not check.valid or check.subject is None:
        raise Unauthorized(_challenge(401, "invalid_token", "The access token is not valid"))
    if SCOPE not in check.scopes:
        raise Unauthorized(_challenge(403, "insufficient_scope", f"The {SCOPE} scope is required"))
    return check.subject


async def _changes(request: Request) -> dict[str, Any] | None:
    body = json_or_none(await request.body())
    return body if isinstance(body, dict) else None


def routes(cloud: DeviceCloud) -> list[Route]:
    def report(tasks: BackgroundTasks, user: str, before: Light, after: Light) -> None:
        if before != after:
            tasks.add_task(cloud.report_change, user, before, after, CauseType.APP_INTERACTION)

    async def all_lights(request: Request) -> Response:
        try:
            user = current_user(cloud, request)
        except Unauthorized as refused:
            return refused.response
        if request.method == "GET":
            return JSONResponse({"lights": [light.to_json() for light in cloud.lights(user)]})
        changes = await _changes(request)
        if changes is None:
            return error_response("invalid_request", "Send a JSON object.", 400)
        tasks = BackgroundTasks()
        updated = []
        try:
            for light in cloud.lights(user):
                before, after = cloud.update_light(user, light.id, changes)
                report(tasks, user, before, after)
                updated.append(after.to_json())
        except LightValueError as error:
            return error_response("invalid_value", str(error), 400)
        return JSONResponse({"lights": updated}, background=tasks)

    async def one_light(request: Request) -> Response:
        try:
            user = current_user(cloud, request)
        except Unauthorized as refused:
            return refused.response
        light_id = request.path_params["light_id"]
        try:
            if request.method == "GET":
                return JSONResponse(cloud.light(user, light_id).to_json())
            changes = await _changes(request)
            if changes is None:
                return error_response("invalid_request", "Send a JSON object.", 400)
            before, after = cloud.update_light(user, light_id, changes)
        except UnknownLight:
            return error_response("not_found", f"No light {light_id}.", 404)
        except LightValueError as error:
            return error_response("invalid_value", str(error), 400)
        tasks = BackgroundTasks()
        report(tasks, user, before, after)
        return JSONResponse(after.to_json(), background=tasks)

    return [
        Route("/lights", all_lights, methods=["GET", "PUT"]),
        Route("/lights/{light_id}", one_light, methods=["GET", "PUT"]),
    ]
