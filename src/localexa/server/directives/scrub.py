"""Hide the secrets localexa put in a directive wherever the skill echoes them back.

The journal's rules (observe/redaction.py) hide secrets by field name (`scope.token`,
`grant.code`) and by the shape of LWA tokens. A skill's own access token has no known shape, and
a skill may echo it anywhere: in the body of an HTTP 500, in an ErrorResponse `payload.message`,
in a handler's exception. So the values localexa sent (the scope token, AcceptGrant's grant code
and grantee token) are also replaced wherever they appear before an answer or a failure is
stored, shown or journaled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from localexa.server.observe.redaction import REDACTED, redact_json

#: Shorter values would also hit ordinary words of an answer; real tokens and codes are longer.
MIN_SECRET_LENGTH = 8

Secrets = Sequence[str]


def _at(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def sent_secrets(messages: Iterable[Mapping[str, Any]]) -> Secrets:
    """The token and grant code values of these directives, longest first (a secret that holds
    another is replaced whole)."""
    found: set[str] = set()
    for message in messages:
        directive = message.get("directive")
        for value in (
            _at(directive, "endpoint", "scope", "token"),
            _at(directive, "payload", "scope", "token"),
            _at(directive, "payload", "grant", "code"),
            _at(directive, "payload", "grantee", "token"),
        ):
            if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
                found.add(value)
    return tuple(sorted(found, key=len, reverse=True))


def scrub_text(text: str, secrets: Secrets) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def scrub_bytes(body: bytes, secrets: Secrets) -> bytes:
    """Bytes as received (any encoding that keeps ASCII as is: tokens are ASCII)."""
    for secret in secrets:
        raw = secret.encode()
        if raw in body:
            body = body.replace(raw, REDACTED.encode())
    return body


def scrub_json(value: Any, secrets: Secrets) -> Any:
    """A copy of a decoded JSON value with every sent secret replaced, in keys and strings."""
    if not secrets:
        return value
    if isinstance(value, dict):
        return {
            scrub_text(key, secrets) if isinstance(key, str) else key: scrub_json(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub_json(item, secrets) for item in value]
    if isinstance(value, str):
        return scrub_text(value, secrets)
    return value


def redact_message(value: Any, secrets: Secrets) -> Any:
    """The journal's redaction (by field name) plus the sent secrets (by value)."""
    return scrub_json(redact_json(value), secrets)
