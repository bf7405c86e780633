"""Directives as Alexa sends them (spec §4 samples), for the skill kit and My Lights tests."""

from __future__ import annotations

import uuid
from typing import Any


def directive(
    namespace: str,
    name: str,
    token: str = "access-token-from-skill",
    *,
    endpoint_id: str | None = "endpoint-001",
    payload: dict[str, Any] | None = None,
    correlation_token: str | None = "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg==",
) -> dict[str, Any]:
    header: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "payloadVersion": "3",
        "messageId": str(uuid.uuid4()),
    }
    if correlation_token:
        header["correlationToken"] = correlation_token
    inner: dict[str, Any] = {"header": header}
    if endpoint_id is not None:
        inner["endpoint"] = {
            "scope": {"type": "BearerToken", "token": token},
            "endpointId": endpoint_id,
            "cookie": {},
        }
    inner["payload"] = payload or {}
    return {"directive": inner}


def discover(token: str = "access-token-from-skill") -> dict[str, Any]:
    return directive(
        "Alexa.Discovery",
        "Discover",
        endpoint_id=None,
        correlation_token=None,
        payload={"scope": {"type": "BearerToken", "token": token}},
    )


def accept_grant(
    token: str = "access-token-from-skill", code: str = "ANUbUKCJqlBOpMhwYWxU"
) -> dict[str, Any]:
    return directive(
        "Alexa.Authorization",
        "AcceptGrant",
        endpoint_id=None,
        correlation_token=None,
        payload={
            "grant": {"type": "OAuth2.AuthorizationCode", "code": code},
            "grantee": {"type": "BearerToken", "token": token},
        },
    )


def header(message: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = message["event"]["header"]
    return value


def payload(message: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = message["event"]["payload"]
    return value


def properties(message: dict[str, Any]) -> dict[str, Any]:
    """context.properties as {"Namespace.name": value}."""
    return {f"{p['namespace']}.{p['name']}": p["value"] for p in message["context"]["properties"]}
