"""Build the v3 directives Alexa sends to a smart home skill (spec §4).

Every directive has a header with `namespace`, `name`, `payloadVersion` "3" and a fresh UUID
`messageId`. A directive to an endpoint also carries a `correlationToken` (the skill echoes it)
and `endpoint {scope: {type: BearerToken, token}, endpointId, cookie}` with the customer's linked
access token and the cookie the skill gave at discovery. Discover carries the token in
`payload.scope` and no endpoint; AcceptGrant carries the grant code and the grantee token.
"""

from __future__ import annotations

import base64
import os
import uuid
from typing import Any


def new_message_id() -> str:
    return str(uuid.uuid4())


def new_correlation_token() -> str:
    """Opaque like Amazon's (long base64 text); skills must only echo it."""
    return base64.b64encode(os.urandom(96)).decode()


def _header(
    namespace: str,
    name: str,
    *,
    payload_version: str = "3",
    correlation_token: str | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    header: dict[str, Any] = {"namespace": namespace, "name": name}
    if instance is not None:
        header["instance"] = instance
    header["payloadVersion"] = payload_version
    header["messageId"] = new_message_id()
    if correlation_token is not None:
        header["correlationToken"] = correlation_token
    return header


def endpoint_directive(
    namespace: str,
    name: str,
    *,
    token: str,
    endpoint_id: str,
    cookie: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    payload_version: str = "3",
    correlation_token: str | None = None,
    instance: str | None = None,
) -> dict[str, Any]:
    """A directive to one endpoint (TurnOn, SetBrightness, ReportState, …)."""
    return {
        "directive": {
            "header": _header(
                namespace,
                name,
                payload_version=payload_version,
                correlation_token=correlation_token or new_correlation_token(),
                instance=instance,
            ),
            "endpoint": {
                "scope": {"type": "BearerToken", "token": token},
                "endpointId": endpoint_id,
                "cookie": dict(cookie or {}),
            },
            "payload": dict(payload or {}),
        }
    }


def discover_directive(token: str, *, payload_version: str = "3") -> dict[str, Any]:
    """`Alexa.Discovery.Discover`: the linked token sits in `payload.scope`."""
    return {
        "directive": {
            "header": _header("Alexa.Discovery", "Discover", payload_version=payload_version),
            "payload": {"scope": {"type": "BearerToken", "token": token}},
        }
    }


def accept_grant_directive(code: str, grantee_token: str) -> dict[str, Any]:
    """`Alexa.Authorization.AcceptGrant` (Amazon's sample_messages/Authorization)."""
    return {
        "directive": {
            "header": _header("Alexa.Authorization", "AcceptGrant"),
            "payload": {
                "grant": {"type": "OAuth2.AuthorizationCode", "code": code},
                "grantee": {"type": "BearerToken", "token": grantee_token},
            },
        }
    }


def with_new_message_id(message: dict[str, Any], token: str) -> dict[str, Any]:
    """The same directive sent again (after a token refresh): a new messageId, the new token."""
    directive = dict(message["directive"])
    header = dict(directive["header"], messageId=new_message_id())
    out: dict[str, Any] = dict(directive, header=header)
    if "endpoint" in directive:
        out["endpoint"] = dict(directive["endpoint"], scope={"type": "BearerToken", "token": token})
    elif isinstance(directive.get("payload"), dict) and "scope" in directive["payload"]:
        out["payload"] = dict(directive["payload"], scope={"type": "BearerToken", "token": token})
    return {"directive": out}
