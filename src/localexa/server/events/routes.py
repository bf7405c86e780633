"""`POST /v3/events`: the Alexa event gateway (events/service.py has the rules).

Errors leave in the gateway's shape (`{"header": {"namespace": "System", "name": "Exception",
"messageId"}, "payload": {"code", "description"}}`): core.errors renders the EVENTS family, and
every error raised here carries the gateway's exact code.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from localexa.server.core.auth import Principal, authenticate
from localexa.server.core.deps import BoxDep, ClockDep
from localexa.server.core.errors import TooManyRequests, Unauthorized
from localexa.server.core.rate_limit import Limiter
from localexa.server.db.session import SessionDep
from localexa.server.directives.in_flight import InFlightDirectives
from localexa.server.events.schemas import event_body_openapi
from localexa.server.events.service import INVALID_ACCESS_TOKEN, THROTTLING, EventGateway, check_size

router = APIRouter(tags=["events"])


async def _principal(request: Request) -> Principal:
    try:
        return await authenticate(request)
    except Unauthorized as exc:
        raise Unauthorized(exc.message, code=INVALID_ACCESS_TOKEN, headers=exc.headers) from exc


async def _throttle(request: Request, skill_id: str) -> None:
    """The gateway's budget is per skill (every customer's events of a skill count together)."""
    limiter: Limiter = request.app.state.rate_limiter
    retry_after = await limiter.hit("events.post", f"skill:{skill_id}")
    if retry_after is not None:
        raise TooManyRequests(
            f"The skill sent too many events; retry after {retry_after} s.",
            retry_after=retry_after,
            code=THROTTLING,
        )


@router.post("/v3/events", status_code=202, response_class=Response, openapi_extra=event_body_openapi())
async def post_event(request: Request, session: SessionDep, box: BoxDep, clock: ClockDep) -> Response:
    await clock.refresh(request.app.state.engine)  # token expiry by the shared clock
    principal = await _principal(request)
    gateway = EventGateway(session, box, clock, InFlightDirectives.of(request.app.state))
    region = getattr(request.state, "region", None)
    skill = await gateway.sender_skill(principal, str(region) if region is not None else None)
    await _throttle(request, skill.id)
    # Read once the sender may send: a 401 or 429 is journaled without the body, as every other
    # route's (README "Journal"; it read the body first: readme37b F2).
    body = await request.body()
    check_size(body)
    await gateway.accept(principal, skill, body)
    return Response(status_code=202)
