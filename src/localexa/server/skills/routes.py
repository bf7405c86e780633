"""SMAPI routes of the skill registry: the account-linking configuration (spec §5).

`GET|PUT|DELETE /v1/skills/{skillId}/stages/{stageV2}/accountLinkingClient`, as ask-smapi-model's
`get/update/delete_account_linking_info_v1` call them: GET 200 with an `ETag`, PUT 204 with the
new `ETag` (412 when `If-Match` names another version), DELETE 204. Errors take SMAPI's shapes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import JSONResponse

from localexa.server.core.auth import Principal, require_scopes
from localexa.server.core.deps import BoxDep, ClockDep
from localexa.server.core.errors import ApiFamily
from localexa.server.core.json_body import inline_defs
from localexa.server.core.openapi import error_content
from localexa.server.core.rate_limit import rate_limited
from localexa.server.db.session import SessionDep
from localexa.server.skills.account_linking import (
    STAGES_V2,
    AccountLinkingRequest,
    AccountLinkingService,
)
from localexa.server.skills.schemas import AccountLinkingSpec

router = APIRouter(tags=["account linking"])

# `:path` so that an empty skillId reaches the 1-255 check (400 INVALID_STRING_LENGTH, as a
# 256-character one and Skill Credentials) instead of "no such route".
PATH = "/v1/skills/{skill_id:path}/stages/{stage}/accountLinkingClient"
Writer = Annotated[Principal, Depends(require_scopes("alexa::ask:skills:readwrite"))]
Reader = Annotated[
    Principal, Depends(require_scopes("alexa::ask:skills:readwrite", "alexa::ask:skills:read"))
]
#: Checked by the service (404 STAGE_NOT_FOUND for a stage the skill lacks), only documented here.
StageV2 = Annotated[str, Path(json_schema_extra={"enum": list(STAGES_V2)})]


async def _service(session: SessionDep, box: BoxDep, clock: ClockDep) -> AccountLinkingService:
    return AccountLinkingService(session, box, clock)


ServiceDep = Annotated[AccountLinkingService, Depends(_service)]


def _put_openapi() -> dict[str, Any]:
    schema = inline_defs(AccountLinkingRequest.model_json_schema(by_alias=True))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


#: Amazon's clients disagree on the GET's body: ask-smapi-model (Python, Node.js) and Amazon's
#: own SMAPI spec read the fields at the top level; the SMAPI reference's example, `ask smapi
#: get-account-linking-info`'s output as Jovo's CLI reads it, and Alexa.NET.Management read them
#: under `accountLinkingResponse`. The answer carries both, so each of them finds its fields.
WRAPPER = "accountLinkingResponse"


def _view_schema() -> dict[str, Any]:
    """SMAPI's `AccountLinkingResponse`: the request payload without the write-only secret, its
    fields at the top level and again under `accountLinkingResponse` (see `answered`)."""
    schema = inline_defs(AccountLinkingSpec.model_json_schema(by_alias=True))
    schema["properties"].pop("clientSecret", None)
    schema["title"] = "AccountLinkingResponse"
    wrapped = {key: value for key, value in schema.items() if key != "title"}
    return {**schema, "properties": {**schema["properties"], WRAPPER: wrapped}}


def answered(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, WRAPPER: config}


_ETAG = {
    "ETag": {"description": "The configuration's version, for `If-Match`.", "schema": {"type": "string"}}
}
_GET_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The skill's account linking.",
        "headers": _ETAG,
        "content": {"application/json": {"schema": _view_schema()}},
    }
}
_PUT_RESPONSES: dict[int | str, dict[str, Any]] = {
    204: {"description": "Stored.", "headers": _ETAG},
    412: {
        "description": "`If-Match` names another version.",
        "content": error_content(ApiFamily.SMAPI, 412),
    },
}


@router.get(PATH, responses=_GET_RESPONSES)
async def get_account_linking_info(
    skill_id: str,
    stage: StageV2,
    principal: Reader,
    _rl: Annotated[None, rate_limited("skills.account_linking.get")],
    service: ServiceDep,
) -> JSONResponse:
    """The skill's account linking (SMAPI `AccountLinkingResponse`: never the client secret)."""
    config, tag = await service.get(principal, skill_id, stage)
    return JSONResponse(answered(config), headers={"ETag": tag})


@router.put(
    PATH, status_code=204, response_class=Response, responses=_PUT_RESPONSES, openapi_extra=_put_openapi()
)
async def update_account_linking_info(
    request: Request,
    skill_id: str,
    stage: StageV2,
    principal: Writer,
    _rl: Annotated[None, rate_limited("skills.account_linking.put")],
    service: ServiceDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Create or replace the development stage's account linking; without `clientSecret` the
    stored secret stays (GET never shows it)."""
    # Read after the token (401 whatever was sent), parsed after the skill and stage (404, 403).
    tag = await service.put(principal, skill_id, stage, await request.body(), if_match)
    return Response(status_code=204, headers={"ETag": tag})


@router.delete(PATH, status_code=204, response_class=Response)
async def delete_account_linking_info(
    skill_id: str,
    stage: StageV2,
    principal: Writer,
    _rl: Annotated[None, rate_limited("skills.account_linking.delete")],
    service: ServiceDep,
) -> Response:
    await service.delete(principal, skill_id, stage)
    return Response(status_code=204)
