"""HTTP routes of the Skill Enablement API (skill-enablement seed; spec §1.1, §1.2).

Developer (SMAPI) routes answer 204 without a body; customer routes speak JSON. Errors take each
family's shape (server/api.py FAMILIES): SMAPI for `/v1/skills/…`, `{"message"}` for
`/v1/users/…` and `/v1/alexaApiEndpoint`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse

from localexa.server.core.auth import Principal, authenticate, insufficient_scope, require_scopes
from localexa.server.core.rate_limit import rate_limited
from localexa.server.core.regions import Region
from localexa.server.db.session import SessionDep
from localexa.server.enablement.hooks import AfterCommitDep, run_after_link_hooks
from localexa.server.enablement.schemas import (
    STAGES,
    ApiEndpoints,
    EnablementStatus,
    enable_and_link_openapi,
)
from localexa.server.enablement.service import EnablementService
from localexa.server.lwa.repository import LwaRepository

router = APIRouter(tags=["skill enablement"])

SKILLS_READWRITE = "alexa::ask:skills:readwrite"
SKILLS_READ = "alexa::ask:skills:read"
ACCOUNT_LINKING = "alexa::skills:account_linking"
#: The scope of the grant AcceptGrant gives a skill (its messaging client) for the customer.
ACCEPT_GRANT_SCOPE = "alexa::async_event:write"

DeveloperWriter = Annotated[Principal, Depends(require_scopes(SKILLS_READWRITE))]
DeveloperReader = Annotated[Principal, Depends(require_scopes(SKILLS_READWRITE, SKILLS_READ))]
CustomerToken = Annotated[Principal, Depends(require_scopes(ACCOUNT_LINKING))]


async def _customer_or_skill_token(request: Request, session: SessionDep) -> Principal:
    """The customer's account-linking token, or, to read or end the enablement, the token the
    skill got from AcceptGrant (seed: "Smart home skills can use the token that they received
    from the AcceptGrant directive"). The service checks that it is this skill's."""
    principal = await authenticate(request)
    if principal.has_scope(ACCOUNT_LINKING):
        return principal
    if not principal.has_scope(ACCEPT_GRANT_SCOPE) or principal.user_id is None:
        # AcceptGrant's grant carries its scope: a messaging client's token minted with `profile`
        # alone read and ended the enablement (authz37 F1).
        raise insufficient_scope(f"The access token lacks the scope {ACCOUNT_LINKING}.", [ACCOUNT_LINKING])
    client = await LwaRepository(session).client(principal.client_id)
    if client is None or client.skill_id is None:
        raise insufficient_scope(f"The access token lacks the scope {ACCOUNT_LINKING}.", [ACCOUNT_LINKING])
    return principal


CustomerOrSkillToken = Annotated[Principal, Depends(_customer_or_skill_token)]
#: Checked by the service (400 INVALID_STAGE in SMAPI's shape), only documented here.
StagePath = Annotated[str, Path(json_schema_extra={"enum": list(STAGES)})]

# `:path` so that an empty skillId (`/v1/skills//stages/…`) reaches the 1-255 check (400
# INVALID_STRING_LENGTH, as a 256-character one and Skill Credentials) instead of "no such route".
DEVELOPER_PATH = "/v1/skills/{skill_id:path}/stages/{stage}/enablement"
CUSTOMER_PATH = "/v1/users/~current/skills/{skill_id:path}/enablement"


async def _service(request: Request, session: SessionDep) -> EnablementService:
    # The lifespan's objects are read off app.state, not taken as four more dependencies: FastAPI
    # resolves each dependency on every call (measured: a tenth of a hot status GET's CPU).
    state = request.app.state
    return EnablementService(session, state.box, state.clock, state.outbound, state.settings)


ServiceDep = Annotated[EnablementService, Depends(_service)]


def _region(request: Request) -> Region:
    return Region(getattr(request.state, "region", Region.NA))


def _json(model: EnablementStatus | ApiEndpoints, status_code: int = 200) -> JSONResponse:
    return JSONResponse(model.model_dump(by_alias=True, exclude_none=True), status_code=status_code)


# -- developer / skill owner (SMAPI) -------------------------------------------------------------


@router.put(DEVELOPER_PATH, status_code=204, response_class=Response)
async def set_skill_enablement(
    skill_id: str,
    stage: StagePath,
    principal: DeveloperWriter,
    _rl: Annotated[None, rate_limited("enablement.set")],
    service: ServiceDep,
) -> Response:
    """Enable a stage of the skill for the developer's own account (disables the other stage)."""
    await service.developer_enable(principal, skill_id, stage)
    return Response(status_code=204)


@router.get(DEVELOPER_PATH, status_code=204, response_class=Response)
async def get_skill_enablement_status(
    skill_id: str,
    stage: StagePath,
    principal: DeveloperReader,
    _rl: Annotated[None, rate_limited("enablement.get")],
    service: ServiceDep,
) -> Response:
    """204 when the stage is enabled for the developer's account, 404 when it is not."""
    await service.developer_status(principal, skill_id, stage)
    return Response(status_code=204)


@router.delete(DEVELOPER_PATH, status_code=204, response_class=Response)
async def delete_skill_enablement(
    skill_id: str,
    stage: StagePath,
    principal: DeveloperWriter,
    _rl: Annotated[None, rate_limited("enablement.delete")],
    service: ServiceDep,
) -> Response:
    await service.developer_disable(principal, skill_id, stage)
    return Response(status_code=204)


# -- customer (app-to-app account linking) -------------------------------------------------------


@router.get("/v1/alexaApiEndpoint", response_model=ApiEndpoints)
async def get_alexa_api_endpoint(
    request: Request,
    principal: CustomerToken,
    _rl: Annotated[None, rate_limited("enablement.endpoint")],
    service: ServiceDep,
) -> JSONResponse:
    """The endpoint of the customer's region (bare host, no scheme); every region answers it."""
    return _json(await service.api_endpoint(principal, request.headers.get("host")))


@router.post(
    CUSTOMER_PATH, status_code=201, response_model=EnablementStatus, openapi_extra=enable_and_link_openapi()
)
async def enable_skill_and_link_account(
    # First, so its exit (the after-link hooks) follows the session's commit in any scope.
    after_commit: AfterCommitDep,
    request: Request,
    skill_id: str,
    principal: CustomerToken,
    # After the token (the budget is the caller's), before the body is read.
    _rl: Annotated[None, rate_limited("enablement.link")],
    service: ServiceDep,
) -> JSONResponse:
    """Enable the skill for the token's customer and link the account (the authCode is exchanged
    at the skill's accessTokenUrl first; a failed exchange leaves nothing behind)."""
    # Read here, not as a FastAPI body parameter: FastAPI parses a body before any dependency,
    # so a malformed body without a token was a 400 instead of the 401. The service parses it
    # after the region and the skill (403 and 404 win over a bad body).
    row = await service.enable_and_link(principal, _region(request), skill_id, await request.body())
    app, enablement_id = request.app, row.id
    after_commit.add(lambda: run_after_link_hooks(app, enablement_id))
    return _json(service.link_view(row), status_code=201)


@router.get(CUSTOMER_PATH, response_model=EnablementStatus)
async def get_account_link_and_skill_status(
    request: Request,
    skill_id: str,
    principal: CustomerOrSkillToken,
    _rl: Annotated[None, rate_limited("enablement.status")],
    service: ServiceDep,
) -> JSONResponse:
    return _json(await service.customer_status(principal, _region(request), skill_id))


@router.delete(CUSTOMER_PATH, status_code=200, response_class=Response)
async def disable_skill_and_unlink_account(
    request: Request,
    skill_id: str,
    principal: CustomerOrSkillToken,
    _rl: Annotated[None, rate_limited("enablement.unlink")],
    service: ServiceDep,
) -> Response:
    """The seed: "A successful response returns HTTP 200 OK" and "The response has no body"."""
    await service.customer_disable(principal, _region(request), skill_id)
    return Response(status_code=200)
