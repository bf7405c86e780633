"""HTTP routes of the Credential Locker (host credential-locker-service.amazon.com).

    PUT /credentiallocker/v2/threadNetworks   {"threadNetwork": {...}} → 200, no body; 409 if it exists
    GET /credentiallocker/v2/threadNetworks?extendedPanId=&networkName=&maxResults=&nextToken=
        → 200 {"threadNetworks": [...], "nextToken"?}

Errors are `{"code", "message"}` (the CREDENTIAL_LOCKER family of core.errors, by path prefix).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from localexa.server.core.auth import AnyPrincipal
from localexa.server.core.deps import BoxDep, ClockDep
from localexa.server.core.pagination import PageCodecDep
from localexa.server.credential_locker.schemas import ThreadNetworksPage, parse_put_body, put_body_openapi
from localexa.server.credential_locker.service import CredentialLockerService
from localexa.server.db.session import SessionDep

router = APIRouter(prefix="/credentiallocker/v2", tags=["credential locker"])


@router.put("/threadNetworks", status_code=200, openapi_extra=put_body_openapi())
async def create_thread_network(
    request: Request,
    principal: AnyPrincipal,
    session: SessionDep,
    box: BoxDep,
    clock: ClockDep,
    codec: PageCodecDep,
) -> Response:
    await clock.refresh(request.app.state.engine)  # another process may have moved the clock
    service = CredentialLockerService(session, box, clock, codec)
    caller = await service.caller(principal)
    network = parse_put_body(await request.body())
    await service.create(caller, network)
    return Response(status_code=200)


@router.get(
    "/threadNetworks",
    response_model=ThreadNetworksPage,
    response_model_by_alias=True,
    response_model_exclude_none=True,
)
async def get_thread_networks(
    request: Request,
    principal: AnyPrincipal,
    session: SessionDep,
    box: BoxDep,
    clock: ClockDep,
    codec: PageCodecDep,
    extended_pan_id: Annotated[str | None, Query(alias="extendedPanId")] = None,
    network_name: Annotated[str | None, Query(alias="networkName")] = None,
    max_results: Annotated[str | None, Query(alias="maxResults")] = None,
    next_token: Annotated[str | None, Query(alias="nextToken")] = None,
) -> ThreadNetworksPage:
    await clock.refresh(request.app.state.engine)  # page tokens expire by the shared clock
    service = CredentialLockerService(session, box, clock, codec)
    caller = await service.caller(principal)
    networks, token = await service.list(
        caller,
        extended_pan_id=extended_pan_id,
        network_name=network_name,
        max_results=max_results,
        next_token=next_token,
    )
    return ThreadNetworksPage(thread_networks=networks, next_token=token)
