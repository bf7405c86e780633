"""Admin routes for talking to skills as Alexa (admin-api.md conventions; README "Directives").

- `POST /_localexa/directives`: send any directive to a customer's endpoint, get the checked answer.
- `GET  /_localexa/customers/{userId}/skills/{skillId}/endpoints`: discovered endpoints with their
  known state, and how Discover and AcceptGrant went after linking (`waitSeconds` waits until the
  follow-up of the current link is over, in whichever process it runs: after_link_runner.py).
- `GET  /_localexa/customers/{userId}/skills/{skillId}/messages`: directives, answers and events.
- `POST /_localexa/customers/{userId}/skills/{skillId}/discover` and `/accept-grant`: run again.

The router's lifespan registers the after-link hook with the enablement area and owns the
background follow-ups, the Lambda workers and, with Redis, the shared side of the directives in
flight (in_flight_redis.py) (ended at shutdown, before the database closes, and
after the capability evaluation worker, which drives directives through them, has stopped). The
follow-ups are waited for at shutdown, within a bound (after_link_runner.py `drain`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Query, Request

from localexa.server.core.admin_route import AdminRoute
from localexa.server.core.auth import AdminKey
from localexa.server.db.session import SessionDep
from localexa.server.directives import after_link, after_link_runner
from localexa.server.directives.in_flight import InFlightDirectives
from localexa.server.directives.lambda_pool import LambdaPool
from localexa.server.directives.runtime import Runtime
from localexa.server.directives.schemas import DirectiveIn, DirectiveOut, EndpointsOut, MessagesOut
from localexa.server.directives.service import DirectiveRequest, DirectiveResult, send_directive
from localexa.server.directives.views import MAX_RESULTS as MESSAGES_MAX_RESULTS
from localexa.server.directives.views import endpoints_view, messages_view
from localexa.server.enablement.hooks import add_after_link_hook
from localexa.server.evaluation.worker import stop_evaluation_worker
from localexa.server.observe.state import on_reset
from localexa.server.stopping import begin_stopping


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool = LambdaPool.of(app.state)
    # With Redis, the other processes' gateways judge an early answer too (in_flight_redis.py).
    in_flight = InFlightDirectives.of(app.state)
    settings = app.state.settings
    in_flight.share(
        settings.redis_url,
        directive_timeout=settings.directive_timeout,
        token_exchange_timeout=settings.token_exchange_timeout,
        health=getattr(app.state, "redis_health", None),
    )
    runner = after_link_runner.AfterLinkRunner(Runtime.of(app.state))
    app.state.after_link_runner = runner
    add_after_link_hook(app, after_link_runner.on_link)
    on_reset(app, runner.on_state_replaced)
    runner.keep_leases()
    try:
        yield
    finally:
        # Both below began as `localexa serve` began to stop (server/stopping.py); an app served
        # otherwise begins here, the follow-ups' bounded drain alongside the worker's stop.
        begin_stopping(app)
        # The capability evaluation worker sends its directives through this pool. This router's
        # lifespan ends before the app's, which stops the worker: stop it here first, so the step
        # in flight finishes and the run is handed over at once, instead of the pool killing the
        # step's Lambda worker and the run waiting out its lease (30 s) in no process.
        await stop_evaluation_worker(app)
        app.state.reset_hooks.remove(runner.on_state_replaced)
        await runner.drain()
        await runner.close()
        await pool.aclose()
        await in_flight.aclose()


router = APIRouter(
    prefix="/_localexa",
    tags=["directives"],
    dependencies=[AdminKey],
    route_class=AdminRoute,
    lifespan=lifespan,
)

UserId = Annotated[str, Path(alias="userId", min_length=1, max_length=128)]
SkillId = Annotated[str, Path(alias="skillId", min_length=1, max_length=255)]


def _out(result: DirectiveResult) -> DirectiveOut:
    return DirectiveOut.model_validate(result.wire())


@router.post("/directives", response_model=DirectiveOut, response_model_by_alias=True)
async def post_directive(body: DirectiveIn, request: Request) -> DirectiveOut:
    result = await send_directive(
        Runtime.of(request.app.state),
        DirectiveRequest(
            user_id=body.user_id,
            skill_id=body.skill_id,
            namespace=body.namespace,
            name=body.name,
            endpoint_id=body.endpoint_id,
            payload=body.payload,
            payload_version=body.payload_version,
            cookie=body.cookie,
            correlation_token=body.correlation_token,
            instance=body.instance,
        ),
    )
    return _out(result)


@router.get(
    "/customers/{userId}/skills/{skillId}/endpoints",
    response_model=EndpointsOut,
    response_model_by_alias=True,
)
async def get_endpoints(
    user_id: UserId,
    skill_id: SkillId,
    request: Request,
    session: SessionDep,
    wait_seconds: Annotated[float, Query(alias="waitSeconds", ge=0, le=60)] = 0,
) -> EndpointsOut:
    if wait_seconds:
        runner: after_link_runner.AfterLinkRunner = request.app.state.after_link_runner
        await runner.wait(user_id, skill_id, wait_seconds)
    return await endpoints_view(session, user_id, skill_id)


@router.get(
    "/customers/{userId}/skills/{skillId}/messages", response_model=MessagesOut, response_model_by_alias=True
)
async def get_messages(
    user_id: UserId,
    skill_id: SkillId,
    session: SessionDep,
    # The range is checked by messages_view; documented here.
    max_results: Annotated[
        int, Query(alias="maxResults", json_schema_extra={"minimum": 1, "maximum": MESSAGES_MAX_RESULTS})
    ] = 100,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=40)] = None,
) -> MessagesOut:
    return await messages_view(session, user_id, skill_id, max_results=max_results, next_token=next_token)


@router.post(
    "/customers/{userId}/skills/{skillId}/discover", response_model=DirectiveOut, response_model_by_alias=True
)
async def post_discover(user_id: UserId, skill_id: SkillId, request: Request) -> DirectiveOut:
    return _out(await after_link.discover(Runtime.of(request.app.state), user_id, skill_id))


@router.post(
    "/customers/{userId}/skills/{skillId}/accept-grant",
    response_model=DirectiveOut,
    response_model_by_alias=True,
)
async def post_accept_grant(user_id: UserId, skill_id: SkillId, request: Request) -> DirectiveOut:
    return _out(await after_link.accept_grant(Runtime.of(request.app.state), user_id, skill_id))
