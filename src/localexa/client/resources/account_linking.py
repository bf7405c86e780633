"""A skill stage's account-linking configuration (SMAPI
`/v1/skills/{skillId}/stages/{stage}/accountLinkingClient`, spec §5; ask-smapi-model
`get/update/delete_account_linking_info_v1`).

GET answers the configuration without its client secret, and its version in an `ETag`; an
update may name that version in `If-Match`, and is refused with a 412 (PreconditionFailedError)
when someone changed the configuration since. Only `development` can be written: `live` is what
certification published (403).

`update` answers the new version as a string, or None when the answer carries no `ETag`. The PUT
answers 204 No Content: the version can only be in a header, and Amazon's reference and
ask-smapi-model (whose `update_account_linking_info_v1` returns nothing for the 204) document
none for it, so against Amazon None is a possible answer; localexa's own PUT always sends one.
It stays a plain `str | None` (the same in Client and AsyncClient) rather than a result object:
the answer holds nothing else to type, and `new = update(...)` keeps working. None means "version
unknown", not "no version": pass `get(...).etag` as the next `if_match`, since `if_match=None`
makes that write unconditional.

Retries: GET and DELETE retry as every call does, and a DELETE whose retry finds nothing left
after an attempt that may have deleted it is done (as `enablement.disable`). An update without
`if_match` is retried as every PUT: sending the same configuration twice leaves the same state.
An update with `if_match` is not repeated after an attempt the server may have carried out (a
500/502/504, or its answer lost after the request left): had that attempt landed, the version
changed, and the repeat would answer 412, telling the caller a write that was made was refused.
The original error (whose outcome is unknown) is the truth; the caller re-reads and decides. It
is still retried when the server cannot have acted (a 429, or no connection made), as a POST is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from localexa.client._async import AsyncResource, async_method
from localexa.client._core import ApiRequest, Flow, call, dump, expect_no_content, parse_model, segment
from localexa.client._errors import ConfigurationError
from localexa.client._sync import SyncResource, sync_method
from localexa.client.types.account_linking import AccountLinkingConfig, LinkingStage
from localexa.client.types.admin import AccountLinking

__all__ = ["AccountLinkingResource", "AsyncAccountLinkingResource"]

ETAG_HEADER = "ETag"
WRAPPER = "accountLinkingResponse"
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _path(skill_id: str, stage: str) -> str:
    return f"/v1/skills/{segment(skill_id)}/stages/{segment(stage)}/accountLinkingClient"


def _if_match(value: str) -> dict[str, str]:
    # Refused here, by name: httpx would refuse it at send time with a message about tokens.
    if not value.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ConfigurationError(
            "if_match must be an ETag from account_linking.get (or '*'), without control characters."
        )
    return {"If-Match": value}


def _unwrapped(response: httpx.Response) -> httpx.Response:
    """The answer with the fields under `accountLinkingResponse` when it has them there: Amazon
    answers that way (the SMAPI reference's example; what `ask smapi get-account-linking-info`
    prints), ask-smapi-model reads them at the top level, and localexa sends both. Left as it is
    when there is no such object: `parse_model` says what is wrong with it."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    inner = body.get(WRAPPER) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        return response
    # The body is new and plain: the answer's own coding and length headers would have httpx
    # decode it again (a gzip'd answer raised httpx.DecodingError).
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    return httpx.Response(
        response.status_code, headers=headers, content=json.dumps(inner).encode(), request=response.request
    )


def get(skill_id: str, stage: LinkingStage = "development") -> Flow[AccountLinkingConfig]:
    """`GET .../accountLinkingClient`: the configuration (never its client secret), with `.etag`
    set from the answer's `ETag`. NotFoundError when the skill, its stage or its account linking
    does not exist."""
    response = yield from call(ApiRequest("GET", _path(skill_id, stage)))
    config = parse_model(_unwrapped(response), AccountLinkingConfig)
    config.etag = response.headers.get(ETAG_HEADER)
    return config


def update(
    skill_id: str,
    config: AccountLinking | Mapping[str, Any],
    stage: LinkingStage = "development",
    if_match: str | None = None,
) -> Flow[str | None]:
    """`PUT .../accountLinkingClient` (204): replace the configuration; returns its new ETag, or
    None when the answer has none (Amazon documents none; localexa always sends it: module
    docstring). A config without `client_secret` keeps the stored one.

    `config` is a model (an `AccountLinkingConfig` from `get`, edited) or the wire-shaped payload
    (camelCase keys), sent as given for the server to validate (BadRequestError with violations).
    `if_match` (e.g. `config.etag`) makes the write conditional: PreconditionFailedError (412)
    when the configuration changed since. PermissionDeniedError (403) for the `live` stage.
    """
    payload = dump(config) if isinstance(config, AccountLinking) else dict(config)
    headers = None if if_match is None else _if_match(if_match)
    response = yield from call(
        ApiRequest(
            "PUT",
            _path(skill_id, stage),
            json={"accountLinkingRequest": payload},
            headers=headers,
            # See the module docstring: a conditional PUT is not repeated once it may have acted.
            idempotent=False if if_match is not None else None,
        )
    )
    # Nothing but the ETag is read: a 2xx with a body (a proxy's page) would pass for a write.
    expect_no_content(response)
    etag: str | None = response.headers.get(ETAG_HEADER)
    return etag


def delete(skill_id: str, stage: LinkingStage = "development") -> Flow[None]:
    """`DELETE .../accountLinkingClient` (204): remove the skill's account linking. NotFoundError
    when it has none (unless an earlier attempt of this call may have removed it: then it is
    done); PermissionDeniedError (403) for the `live` stage."""
    expect_no_content((yield from call(ApiRequest("DELETE", _path(skill_id, stage), gone_is_done=True))))


class AccountLinkingResource(SyncResource):
    """`client.account_linking`: read, replace and remove a skill's account-linking configuration."""

    get = sync_method(get)
    update = sync_method(update)
    delete = sync_method(delete)


class AsyncAccountLinkingResource(AsyncResource):
    get = async_method(get)
    update = async_method(update)
    delete = async_method(delete)
