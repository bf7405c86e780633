"""Customer skill enablement and account linking (app-to-app), on the customer's regional host.

skill-enablement-rest-api-reference, "Get API endpoint": ask `GET /v1/alexaApiEndpoint` for the
customer's endpoints; if it answers several, call each in sequence (only one will succeed); if it
answers 5xx, call NA, EU and FE in sequence. Entries are bare hosts without a scheme (Amazon:
`api.eu.amazonalexa.com`; localexa: `127.0.0.1:8081`), so the client puts its own scheme in front.

Every call takes the customer's token (`token=`, scope `alexa::skills:account_linking`) unless the
client's own auth is that customer's, and `endpoint=` to skip the discovery (e.g. the endpoint an
earlier enable succeeded on, as the docs ask GET and DELETE to use).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence

import httpx

from localexa.client._async import AsyncResource, async_method
from localexa.client._core import (
    ApiRequest,
    Flow,
    arguments,
    call,
    dump,
    expect_no_content,
    parse_model,
    segment,
)
from localexa.client._endpoints import Region
from localexa.client._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    ConfigurationError,
)
from localexa.client._sync import SyncResource, sync_method
from localexa.client.types.enablement import (
    AccountLinkRequest,
    AlexaApiEndpoints,
    CustomerEnablement,
    EnableAndLinkRequest,
    Stage,
)

__all__ = ["AsyncCustomerEnablements", "CustomerEnablements"]

#: A place to call: an `alexaApiEndpoint` entry, or a region (5xx fallback).
Target = str | Region

#: Errors that usually mean "not this customer's region", so another endpoint's error tells more.
_REGION_MISMATCH = frozenset({401, 403, 404})


def _is_endpoint(entry: str) -> bool:
    """Whether an `alexaApiEndpoint` entry (or an `endpoint=` argument) names a host (`host[:port]`,
    or an http(s) URL of one) the client can put a path after: no path, query, fragment or user
    info, and a host that is a DNS name or an IP address (httpx percent-encodes a space or other
    stray character into the host, which would send the customer's token to no real host)."""
    text = entry.strip()
    # The scheme is looked for before trailing slashes go: `http://` alone is no host, not "http:".
    text = text.rstrip("/") if "://" in text else f"https://{text.rstrip('/')}"
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        return False
    return (
        url.scheme in ("http", "https")
        and _is_host(url.raw_host)
        # httpx keeps a port past 65535, and the socket layer wraps it (123616 is 58080).
        and (url.port is None or 0 < url.port < 65536)
        and url.raw_path in (b"", b"/")
        and not url.fragment
        and not url.userinfo
    )


#: A DNS name as httpx keeps it (IDNA-encoded, so ASCII): letters, digits, `-`, `.`, and `_`,
#: which some private names use. No `%`: httpx percent-encodes what a host cannot hold.
_DNS_NAME = re.compile(rb"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")


def _is_host(raw_host: bytes) -> bool:
    if b":" in raw_host:  # only an IPv6 literal keeps a colon in the host (the port is apart)
        try:
            ipaddress.IPv6Address(raw_host.decode("ascii"))
        except ValueError:
            return False
        return True
    return _DNS_NAME.fullmatch(raw_host) is not None


def _checked_endpoint(endpoint: str) -> str:
    """`endpoint=` as given, once it names a host: else ConfigurationError before anything is
    sent, so the customer's token goes nowhere (the value is not echoed when it holds user info,
    which may be a password)."""
    if _is_endpoint(endpoint):
        return endpoint
    shown = "a value with user info (@)" if "@" in endpoint else repr(endpoint[:100])
    raise ConfigurationError(
        f"endpoint= {shown} is not a URL of a host: give a host[:port] as /v1/alexaApiEndpoint "
        "answers it, or an http(s) URL of one with no path, query or user info."
    )


def api_endpoints(*, token: str | None = None) -> Flow[list[str]]:
    """`GET /v1/alexaApiEndpoint` on the NA host: the customer's endpoints, as answered (no scheme).

    An entry that names no host (`bad host:99x`, `""`, `host/path?x`) makes the answer an
    APIResponseValidationError, rather than a URL error from httpx at the next call.
    """
    response = yield from call(ApiRequest("GET", "/v1/alexaApiEndpoint", token=token))
    endpoints = parse_model(response, AlexaApiEndpoints).endpoints
    if not all(_is_endpoint(entry) for entry in endpoints):
        raise APIResponseValidationError(
            "/v1/alexaApiEndpoint answered an endpoint that is not a host[:port].", response=response
        )
    return endpoints


def _targets(token: str | None, endpoint: str | None) -> Flow[list[Target]]:
    if endpoint is not None:
        return [_checked_endpoint(endpoint)]
    try:
        entries = yield from api_endpoints(token=token)
    except APIStatusError as exc:
        if exc.status_code >= 500:  # the seed: then try every region, NA, EU, FE
            return [Region.NA, Region.EU, Region.FE]
        raise
    return list(entries)


#: Among region-mismatch-like answers, the most telling first: a 404 ("not enabled for this
#: customer") comes from the customer's own region, while the other regions answer 403.
_MISMATCH_RANK = {404: 0, 401: 1, 403: 2}


def _most_telling(errors: Sequence[APIError]) -> APIError:
    """The error to raise when every endpoint failed: the first that is not a region mismatch
    (an answer lost after the request was sent is none: that endpoint may have acted on it),
    else the first 404, else the first 401, else the last."""
    for error in errors:
        if isinstance(error, APIStatusError) and error.status_code not in _REGION_MISMATCH:
            return error
        if isinstance(error, APIConnectionError) and error.sent:
            return error
    ranked = [
        (_MISMATCH_RANK[e.status_code], index)
        for index, e in enumerate(errors)
        if isinstance(e, APIStatusError) and e.status_code in _MISMATCH_RANK
    ]
    if ranked:
        return errors[min(ranked)[1]]
    return errors[-1]


def _on_customer_endpoint(
    make: Callable[[Target], ApiRequest], token: str | None, endpoint: str | None
) -> Flow[httpx.Response]:
    """Run `make(target)` on each of the customer's endpoints in turn until one succeeds."""
    targets = yield from _targets(token, endpoint)
    if not targets:
        raise APIError("/v1/alexaApiEndpoint answered no endpoints.")
    errors: list[APIError] = []
    for target in targets:
        request = make(target)
        try:
            return (yield from call(request))
        except APIConnectionError as exc:
            if exc.sent and request.method == "POST":
                # That endpoint may have linked the account with the authCode: raised as is, and
                # the code not sent on (review of 2026-12-07: the next region's 403 was raised).
                raise
            errors.append(exc)
        except APIStatusError as exc:
            errors.append(exc)
    raise _most_telling(errors)


def _request(
    method: str, skill_id: str, target: Target, token: str | None, json: object = None
) -> ApiRequest:
    path = f"/v1/users/~current/skills/{segment(skill_id)}/enablement"
    if isinstance(target, Region):
        return ApiRequest(method, path, region=target, token=token, json=json)
    return ApiRequest(method, path, endpoint=target, token=token, json=json)


def enable_and_link(
    skill_id: str,
    *,
    auth_code: str,
    redirect_uri: str,
    stage: Stage = "development",
    code_verifier: str | None = None,
    token: str | None = None,
    endpoint: str | None = None,
) -> Flow[CustomerEnablement]:
    """`POST /v1/users/~current/skills/{skillId}/enablement` (201): enable and link the account.

    `auth_code` and `redirect_uri` come from the skill's own authorization server; Alexa exchanges
    them at the skill's `accessTokenUrl`. Not retried by default (a POST).
    """
    body = dump(
        arguments(
            lambda: EnableAndLinkRequest(
                stage=stage,
                account_link_request=AccountLinkRequest(
                    auth_code=auth_code, redirect_uri=redirect_uri, code_verifier=code_verifier
                ),
            )
        )
    )
    response = yield from _on_customer_endpoint(
        lambda target: _request("POST", skill_id, target, token, body), token, endpoint
    )
    return parse_model(response, CustomerEnablement)


def get(skill_id: str, *, token: str | None = None, endpoint: str | None = None) -> Flow[CustomerEnablement]:
    """`GET .../enablement` (200): the skill's enablement and account-link status for the customer."""
    response = yield from _on_customer_endpoint(
        lambda target: _request("GET", skill_id, target, token), token, endpoint
    )
    return parse_model(response, CustomerEnablement)


def disable(skill_id: str, *, token: str | None = None, endpoint: str | None = None) -> Flow[None]:
    """`DELETE .../enablement` (200, no body): disable the skill and unlink the account. A 2xx
    with a body (a captive portal's page) is APIResponseValidationError, not "unlinked"."""
    response = yield from _on_customer_endpoint(
        lambda target: _request("DELETE", skill_id, target, token), token, endpoint
    )
    expect_no_content(response, 200)


class CustomerEnablements(SyncResource):
    """`client.customer_enablement`: app-to-app account linking for a customer."""

    api_endpoints = sync_method(api_endpoints)
    enable_and_link = sync_method(enable_and_link)
    get = sync_method(get)
    disable = sync_method(disable)


class AsyncCustomerEnablements(AsyncResource):
    api_endpoints = async_method(api_endpoints)
    enable_and_link = async_method(enable_and_link)
    get = async_method(get)
    disable = async_method(disable)
