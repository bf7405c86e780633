"""HTTP route of the Skill Credentials API: `GET /v1/skills/{skillId}/credentials` (SMAPI)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from localexa.server.core.auth import Principal, require_scopes
from localexa.server.core.deps import BoxDep, ClockDep
from localexa.server.core.no_store import NO_STORE
from localexa.server.core.rate_limit import rate_limited
from localexa.server.credentials.schemas import SkillCredentials
from localexa.server.credentials.service import skill_credentials
from localexa.server.db.session import SessionDep

router = APIRouter(tags=["skill credentials"])

DeveloperReader = Annotated[
    Principal, Depends(require_scopes("alexa::ask:skills:readwrite", "alexa::ask:skills:read"))
]


# `:path` so that an empty skillId (`/v1/skills//credentials`) reaches the 1-255 check (400)
# instead of falling through to "no such route".
@router.get("/v1/skills/{skill_id:path}/credentials", response_model=SkillCredentials)
async def get_skill_credentials(
    skill_id: str,
    principal: DeveloperReader,
    _rl: Annotated[None, rate_limited("credentials.get")],
    session: SessionDep,
    box: BoxDep,
    clock: ClockDep,
) -> JSONResponse:
    credentials = await skill_credentials(session, box, clock, principal, skill_id)
    return JSONResponse(credentials.model_dump(by_alias=True), headers=NO_STORE)  # a client secret
