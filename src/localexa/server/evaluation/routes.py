"""HTTP routes of the Smart Home Capability Evaluation API (spec alexa-api-surface.md §2).

Everything is under `/v1/skills/{skillId}/smartHome/testing/`. Writes need
`alexa::ask:skills:readwrite`; reads also accept `alexa::ask:skills:read`.

Error shapes (spec §2 "Status codes"): 400, 401, 403, 404 and 429 answer BadRequestError
`{"message", "violations"}`; 409 and the rest answer Error `{"code", "message"}`. The SMAPI renderer
(core/errors.py) draws BadRequestError for any error that carries `violations`, so this router's
route class gives every 401/404/429 raised under it (by auth, rate limits or the service) its
violation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from localexa.server.core.auth import Principal, authenticate, require_scopes
from localexa.server.core.deps import BoxDep, ClockDep
from localexa.server.core.errors import ApiFamily, LocalexaError, ValidationFailed, status_of
from localexa.server.core.json_body import inline_defs
from localexa.server.core.openapi import documented, error_content
from localexa.server.core.pagination import PageCodecDep
from localexa.server.core.query_params import repeated_parameter
from localexa.server.core.rate_limit import rate_limited
from localexa.server.db.session import SessionDep
from localexa.server.evaluation.schemas import (
    MAX_OFFSET,
    MAX_RESULTS,
    STAGES,
    EvaluationList,
    EvaluationRequest,
    EvaluationStarted,
    EvaluationView,
    ResultList,
    TestPlanList,
)
from localexa.server.evaluation.service import EvaluationService
from localexa.server.evaluation.worker import worker_of

#: Statuses the evaluation API answers with BadRequestError (spec §2).
BAD_REQUEST_SHAPED = frozenset({400, 401, 403, 404, 429})


class EvaluationRoute(APIRoute):
    """Adds a violation to 401/404/429 errors so they render as BadRequestError, as this API does."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                if (twice := repeated_parameter(request.scope["query_string"])) is not None:
                    # Starlette kept the last (`maxResults=5&maxResults=6` paged by 6), where the
                    # Credential Locker refused it (QA of 2026-12-06): refused here too, after
                    # the token, as every other bad parameter (a caller without one gets 401).
                    await authenticate(request)
                    raise ValidationFailed(f"The query parameter {twice} is given more than once.")
                return await handler(request)
            except LocalexaError as exc:
                if status_of(exc) in BAD_REQUEST_SHAPED and getattr(exc, "violations", None) is None:
                    exc.violations = [{"code": exc.code, "message": exc.message}]  # type: ignore[attr-defined]
                raise

        return route


# The service checks these itself (SMAPI's codes and shape); the document shows what it accepts.
MaxResults = Annotated[
    str | None,
    Query(
        alias="maxResults",
        json_schema_extra=documented({"type": "integer", "minimum": 1, "maximum": MAX_RESULTS}),
    ),
]
NextToken = Annotated[str | None, Query(alias="nextToken")]
RunStage = Annotated[
    str | None, Query(json_schema_extra=documented({"type": "string", "enum": list(STAGES)}, required=True))
]
Offset = Annotated[
    str | None, Query(json_schema_extra=documented({"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}))
]

_BAD_REQUEST_REASONS = {
    400: "The request is not valid.",
    401: "The access token is missing, not valid or expired.",
    403: "The token lacks the scope, or the caller is not a developer of the skill's vendor.",
    404: "The skill or the evaluation does not exist.",
    429: "Too many requests: retry after `Retry-After` seconds.",
}
#: The document shows what EvaluationRoute sends: the core declares SMAPI's 401, 404 and 429 as
#: StandardizedError (spec §1.3), which this API answers as BadRequestError (spec §2).
BAD_REQUEST_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": f"{_BAD_REQUEST_REASONS[status]} (BadRequestError)",
        "content": error_content(ApiFamily.SMAPI, 400),
    }
    for status in sorted(BAD_REQUEST_SHAPED)
}

router = APIRouter(
    tags=["smart home capability evaluation"], route_class=EvaluationRoute, responses=BAD_REQUEST_RESPONSES
)

SKILLS_READWRITE = "alexa::ask:skills:readwrite"
SKILLS_READ = "alexa::ask:skills:read"
Writer = Annotated[Principal, Depends(require_scopes(SKILLS_READWRITE))]
Reader = Annotated[Principal, Depends(require_scopes(SKILLS_READWRITE, SKILLS_READ))]

# `:path` so that an empty skillId reaches the 1-255 check (400 INVALID_STRING_LENGTH, as a
# 256-character one) instead of "no such route".
BASE = "/v1/skills/{skill_id:path}/smartHome/testing"


async def _service(
    session: SessionDep, box: BoxDep, clock: ClockDep, codec: PageCodecDep
) -> EvaluationService:
    return EvaluationService(session, box, clock, codec)


ServiceDep = Annotated[EvaluationService, Depends(_service)]


async def _wake_worker_after_commit(request: Request) -> AsyncIterator[None]:
    """Declared before the session: its exit runs after the commit, so the run is visible."""
    yield
    worker = worker_of(request.app)
    if worker is not None:
        worker.wake()


def _json(model: Any) -> JSONResponse:
    return JSONResponse(model.wire())


@router.get(f"{BASE}/capabilityTestPlans", response_model=TestPlanList)
async def list_capability_test_plans(
    skill_id: str,
    principal: Reader,
    _rl: Annotated[None, rate_limited("evaluation.testPlans")],
    service: ServiceDep,
    max_results: MaxResults = None,
    next_token: NextToken = None,
) -> JSONResponse:
    """The capability test plans a run can use (`paginationContext` with `totalCount` while more
    pages follow)."""
    return _json(await service.test_plans(principal, skill_id, max_results, next_token))


# Amazon's swagger for this operation (embedded in clients generated from it) declares a
# `Location` header on the 200 ("Get location of the capability evaluation"); the spec is silent.
# localexa answers the run's path on this host: the GET that reads the run.
_STARTED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The run has begun (200, not 201).",
        "headers": {
            "Location": {
                "description": "The run's path: `GET` it for its status.",
                "required": True,
                "schema": {"type": "string"},
            }
        },
    }
}


#: The body, documented by hand: the service reads it itself (core/json_body.py), after the skill.
_CREATE_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": inline_defs(EvaluationRequest.model_json_schema(by_alias=True))}
        },
    }
}


@router.post(
    f"{BASE}/capabilityEvaluations",
    response_model=EvaluationStarted,
    responses=_STARTED_RESPONSES,
    openapi_extra=_CREATE_OPENAPI,
)
async def create_capability_evaluation(
    request: Request,
    _wake: Annotated[None, Depends(_wake_worker_after_commit)],
    skill_id: str,
    principal: Writer,
    _rl: Annotated[None, rate_limited("evaluation.create")],
    service: ServiceDep,
) -> JSONResponse:
    """Start a run (200 with its id and `Location`); 409 while a run for the endpoint is in progress."""
    # Read here, not as a FastAPI body parameter (FastAPI parsing it first answered a broken body
    # 400 before the token); the service parses it after the skill and the caller's access.
    started = await service.start(principal, skill_id, await request.body())
    response = _json(started)
    path = f"/v1/skills/{quote(skill_id, safe='')}/smartHome/testing"
    response.headers["Location"] = f"{path}/capabilityEvaluations/{quote(started.id, safe='')}"
    return response


@router.get(f"{BASE}/capabilityEvaluations", response_model=EvaluationList)
async def list_capability_evaluations(
    skill_id: str,
    principal: Reader,
    _rl: Annotated[None, rate_limited("evaluation.list")],
    service: ServiceDep,
    stage: RunStage = None,
    start_from: Annotated[str | None, Query(alias="startTimestampFrom")] = None,
    start_to: Annotated[str | None, Query(alias="startTimestampTo")] = None,
    max_results: MaxResults = None,
    next_token: NextToken = None,
) -> JSONResponse:
    """Past and current runs, newest first (`paginationContextToken`, sic)."""
    page = await service.list_runs(
        principal,
        skill_id,
        stage=stage,
        start_from=start_from,
        start_to=start_to,
        max_results=max_results,
        next_token=next_token,
    )
    return _json(page)


@router.get(f"{BASE}/capabilityEvaluations/{{evaluation_id}}", response_model=EvaluationView)
async def get_capability_evaluation(
    skill_id: str,
    evaluation_id: str,
    principal: Reader,
    _rl: Annotated[None, rate_limited("evaluation.get")],
    service: ServiceDep,
) -> JSONResponse:
    """Status, timestamps, metrics, error and the original input of one run."""
    return _json(await service.get(principal, skill_id, evaluation_id))


@router.get(f"{BASE}/capabilityEvaluations/{{evaluation_id}}/results", response_model=ResultList)
async def get_capability_evaluation_results(
    skill_id: str,
    evaluation_id: str,
    principal: Reader,
    _rl: Annotated[None, rate_limited("evaluation.results")],
    service: ServiceDep,
    max_results: MaxResults = None,
    next_token: NextToken = None,
    offset: Offset = None,
) -> JSONResponse:
    """The test case results of a run, in plan order (`nextToken` or `offset`)."""
    page = await service.results(
        principal, skill_id, evaluation_id, max_results=max_results, next_token=next_token, offset=offset
    )
    return _json(page)
