"""localexa's admin API as flows: accounts, skills, tokens and the clock (shared/spec/admin-api.md).

Every call but health/ready sends `X-Localexa-Admin-Key`; the admin API exists only on a localexa
server. Creating is a POST and is not retried by default; listing and reading are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx
import pydantic

from localexa.client._body_sink import BodySink
from localexa.client._core import (
    ApiRequest,
    AuthMode,
    Flow,
    Params,
    call,
    dump,
    expect_no_content,
    json_body,
    parse_model,
    segment,
)
from localexa.client._endpoints import Region, Service
from localexa.client._errors import APIResponseValidationError, ConfigurationError
from localexa.client.types.admin import (
    AccountLinking,
    ClockTime,
    Customer,
    LwaClient,
    RegionName,
    SkillCreated,
    SkillInfo,
    Vendor,
)
from localexa.client.types.lwa import TokenResponse

PREFIX = "/_localexa"


def admin_request(
    method: str,
    path: str,
    *,
    json: Any = None,
    params: Params | None = None,
    idempotent: bool | None = None,
    gone_is_done: bool = False,
    into: BodySink | None = None,
) -> ApiRequest:
    return ApiRequest(
        method,
        PREFIX + path,
        service=Service.ADMIN,
        auth=AuthMode.ADMIN,
        json=json,
        params=params,
        idempotent=idempotent,
        gone_is_done=gone_is_done,
        into=into,
    )


M = TypeVar("M", bound=pydantic.BaseModel)


def parse_list(response: httpx.Response, model: type[M]) -> list[M]:
    """A JSON array of `model`; anything else is APIResponseValidationError."""
    body = json_body(response)
    try:
        if isinstance(body, list):  # not any iterable: an object's keys made `{}` an empty list
            return [model.model_validate(item) for item in body]
    except (TypeError, pydantic.ValidationError):
        pass
    # Unchained: pydantic's error quotes the input, secrets beside the field that failed included.
    raise APIResponseValidationError(
        f"{response.request.url.path} answered no list of {model.__name__}.", response=response
    )


def _unauthenticated(path: str) -> ApiRequest:
    return ApiRequest("GET", PREFIX + path, service=Service.ADMIN, auth=AuthMode.NONE)


def _status_is(response: httpx.Response, expected: str) -> bool:
    """True when the body is localexa's `{"status": expected, …}`; another 2xx body (a proxy's
    page, another server on the port) is APIResponseValidationError, never a healthy server."""
    body = json_body(response)
    if isinstance(body, dict) and body.get("status") == expected:
        return True
    raise APIResponseValidationError(
        f'{response.request.url.path} answered no localexa status (expected "status": "{expected}").',
        response=response,
    )


def health() -> Flow[bool]:
    """`GET /_localexa/health`: True once the server is up (no admin key). Never False: a server
    that is down raises APIConnectionError, another answer APIResponseValidationError."""
    response = yield from call(_unauthenticated("/health"))
    return _status_is(response, "ok")


def ready() -> Flow[bool]:
    """`GET /_localexa/ready`: True when the database answers; 503 ServiceUnavailableError otherwise."""
    response = yield from call(_unauthenticated("/ready"))
    return _status_is(response, "ready")


def create_customer(
    *, name: str, email: str, password: str, region: RegionName = "NA", postal_code: str | None = None
) -> Flow[Customer]:
    """A customer (an Amazon account) who can sign in at `/ap/oa`."""
    body = {"name": name, "email": email, "password": password, "region": Region(region).value}
    if postal_code is not None:
        body["postalCode"] = postal_code
    response = yield from call(admin_request("POST", "/customers", json=body))
    return parse_model(response, Customer)


def get_customer(user_id: str) -> Flow[Customer]:
    response = yield from call(admin_request("GET", f"/customers/{segment(user_id)}"))
    return parse_model(response, Customer)


def delete_customer(user_id: str) -> Flow[None]:
    """`DELETE /_localexa/customers/{id}` (204): the customer and everything that is theirs
    (tokens, codes, enablements and links, Thread networks, messages, the vendors they own); their
    tokens stop working at once. NotFoundError for an unknown customer, unless an earlier attempt
    of this call may have deleted it (its answer lost): then it is done. ConflictError when a
    vendor they own still has skills (delete those first, `skills.delete`)."""
    expect_no_content(
        (yield from call(admin_request("DELETE", f"/customers/{segment(user_id)}", gone_is_done=True)))
    )


def create_vendor(*, name: str, owner_user_id: str) -> Flow[Vendor]:
    """A vendor; its owner is the developer who manages its skills."""
    body = {"name": name, "ownerUserId": owner_user_id}
    response = yield from call(admin_request("POST", "/vendors", json=body))
    created = parse_model(response, Vendor)
    # The contract answers `{"vendorId"}` only: the vendor is what was sent, under that id (the
    # model's name and owner were None, which read as a vendor without them).
    return created.model_copy(
        update={"name": created.name or name, "owner_user_id": created.owner_user_id or owner_user_id}
    )


def create_lwa_client(*, name: str, redirect_uris: Sequence[str] = ()) -> Flow[LwaClient]:
    """An LWA security profile; its secret is answered only here."""
    body = {"name": name, "redirectUris": list(redirect_uris)}
    response = yield from call(admin_request("POST", "/lwa-clients", json=body))
    return parse_model(response, LwaClient)


def create_skill(
    *,
    vendor_id: str,
    name: str,
    endpoint: str,
    stages: Sequence[str] | None = None,
    permissions: Sequence[str] | None = None,
    account_linking: AccountLinking | Mapping[str, Any] | None = None,
    regional_endpoints: Mapping[Region | str, str] | None = None,
) -> Flow[SkillCreated]:
    """A smart home skill; `endpoint` is an http(s) URL or `python:package.module:function`.
    `regional_endpoints` gives regions their own (`{Region.EU: "https://…/eu"}`): directives for
    a customer of that region go there (the manifest's `regions`)."""
    body: dict[str, Any] = {"vendorId": vendor_id, "name": name, "endpoint": endpoint}
    if regional_endpoints:
        regions: dict[str, dict[str, str]] = {}
        for region, uri in regional_endpoints.items():
            name = str(Region(region))
            if name in regions:  # "eu" and "EU": the server refuses it, the dict dropped one
                raise ConfigurationError(f"regional_endpoints gives the region {name} twice.")
            regions[name] = {"endpoint": uri}
        body["regions"] = regions
    if stages is not None:
        body["stages"] = list(stages)
    if permissions is not None:
        body["permissions"] = list(permissions)
    if account_linking is not None:
        linking = account_linking
        body["accountLinking"] = dump(linking) if isinstance(linking, AccountLinking) else dict(linking)
    response = yield from call(admin_request("POST", "/skills", json=body))
    return parse_model(response, SkillCreated)


def get_skill(skill_id: str) -> Flow[SkillInfo]:
    response = yield from call(admin_request("GET", f"/skills/{segment(skill_id)}"))
    return parse_model(response, SkillInfo)


def delete_skill(skill_id: str) -> Flow[None]:
    """`DELETE /_localexa/skills/{id}` (204): the skill, its messaging and Alexa clients and their
    tokens, its enablements, messages and evaluations; those tokens stop working at once.
    NotFoundError for an unknown skill, unless an earlier attempt of this call may have deleted it
    (its answer lost): then it is done."""
    expect_no_content(
        (yield from call(admin_request("DELETE", f"/skills/{segment(skill_id)}", gone_is_done=True)))
    )


def create_tokens(*, client_id: str, user_id: str, scopes: Sequence[str]) -> Flow[TokenResponse]:
    """The token pair LWA would issue to `client_id` for `user_id` after consent."""
    body = {"clientId": client_id, "userId": user_id, "scopes": list(scopes)}
    response = yield from call(admin_request("POST", "/tokens", json=body))
    return parse_model(response, TokenResponse)


def get_clock() -> Flow[ClockTime]:
    response = yield from call(admin_request("GET", "/clock"))
    return parse_model(response, ClockTime)


def advance_clock(seconds: float) -> Flow[ClockTime]:
    """Move the server's clock forward (codes expire in 5 min, access tokens in 1 h)."""
    response = yield from call(admin_request("POST", "/clock", json={"advanceSeconds": seconds}))
    return parse_model(response, ClockTime)
