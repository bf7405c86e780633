"""HTTP routes of the Credential Locker (host credential-locker-service.amazon.com).

    PUT /credentiallocker/v2/threadNetworks   {"threadNetwork": {...}} → 200, no body; 409 if it exists
    GET /credentiallocker/v2/threadNetworks?extendedPanId=&networkName=&maxResults=&nextToken=
        → 200 {"threadNetworks": [...], "nextToken"?}

Errors are `{"code", "message"}` (the CREDENTIAL_LOCKER family of core.errors, by path prefix).
Both routes have a rate limit per caller (the token's customer), as the seed lists 429 for both:
`{"code": "TOO_MANY_REQUESTS", ...}` with `Retry-After`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from localexa.server.core.auth import AnyPrincipal
from localexa.server.core.no_store import NO_STORE
from localexa.server.core.openapi import documented
from localexa.server.core.pagination import get_page_codec
from localexa.server.core.rate_limit import rate_limited
from localexa.server.credential_locker.schemas import (
    NETWORK_NAME_RULE,
    ThreadNetworksPage,
    hex_pattern,
    parse_put_body,
    put_body_openapi,
)
from localexa.server.credential_locker.service import PAGE_SIZE, CredentialLockerService
from localexa.server.db.session import SessionDep
from localexa.thread.fields import NETWORK_NAME_MAX_BYTES

router = APIRouter(prefix="/credentiallocker/v2", tags=["credential locker"])


async def _service(request: Request, session: SessionDep) -> CredentialLockerService:
    # The lifespan's objects are read off app.state, not taken as more dependencies: FastAPI
    # resolves each dependency on every call. The clock is re-read first: another process may
    # have moved it, and page tokens and creation times follow it.
    state = request.app.state
    await state.clock.refresh(state.engine)
    return CredentialLockerService(session, state.box, state.clock, await get_page_codec(request))


ServiceDep = Annotated[CredentialLockerService, Depends(_service)]


# 200 without a body (seed), so documented without content: FastAPI would declare a JSON body.
@router.put(
    "/threadNetworks",
    status_code=200,
    response_class=Response,
    responses={200: {"description": "Stored; the answer has no body."}},
    openapi_extra=put_body_openapi(),
)
async def create_thread_network(
    request: Request,
    principal: AnyPrincipal,
    # After the token (the budget is the caller's), before the body is read or anything stored.
    _rl: Annotated[None, rate_limited("credentialLocker.put")],
    service: ServiceDep,
) -> Response:
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
    _rl: Annotated[None, rate_limited("credentialLocker.get")],
    service: ServiceDep,
    extended_pan_id: Annotated[
        str | None,
        Query(
            alias="extendedPanId",
            json_schema_extra=documented({"type": "string", "pattern": hex_pattern(8)}, required=True),
        ),
    ] = None,
    network_name: Annotated[
        str | None,
        Query(
            alias="networkName",
            json_schema_extra=documented(
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": NETWORK_NAME_MAX_BYTES,
                    "description": NETWORK_NAME_RULE,
                }
            ),
        ),
    ] = None,
    max_results: Annotated[
        str | None,
        Query(
            alias="maxResults",
            json_schema_extra=documented({"type": "integer", "minimum": 1, "maximum": PAGE_SIZE.maximum}),
        ),
    ] = None,
    next_token: Annotated[str | None, Query(alias="nextToken")] = None,
) -> Response:
    caller = await service.caller(principal)
    networks, token = await service.list(
        caller,
        extended_pan_id=extended_pan_id,
        network_name=network_name,
        max_results=max_results,
        next_token=next_token,
        # Starlette decoded the query with replacement: the service reads the name's bytes again.
        query_string=request.scope.get("query_string", b""),
    )
    page = ThreadNetworksPage(thread_networks=networks, next_token=token)
    # Serialized here, once: returned as a model, FastAPI would validate it again against the
    # response_model (which stays for the OpenAPI document).
    body = page.model_dump_json(by_alias=True, exclude_none=True)
    return Response(content=body, media_type="application/json", headers=NO_STORE)  # network keys
