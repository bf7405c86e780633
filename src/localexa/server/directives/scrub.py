"""Hide the secrets localexa put in a directive wherever the skill echoes them back.

The journal's rules (observe/redaction.py) hide secrets by field name (`scope.token`,
`grant.code`) and by the shape of LWA tokens. A skill's own access token has no known shape, and
a skill may echo it anywhere: in the body of an HTTP 500, in an ErrorResponse `payload.message`,
in a handler's exception. So the values localexa sent (the scope token, AcceptGrant's grant code
and grantee token) are also replaced wherever they appear before an answer or a failure is
stored, shown or journaled.

An `endpointId` is an identifier, not a secret: one of the v3 envelope's pattern
(1-256 of `a-zA-Z0-9_-=#;:?@&`) is kept as given, where the journal's rules read `lamp?code=1` as a
URL's secret field and kept `lamp?code=[redacted]` (until the night of 2026-12-06). The kept
directive was then no valid directive, the skill's asynchronous answer was judged against it ("not
a valid directive") and a run's Discover counted the endpoint under test nowhere. The pattern
leaves no room for a secret localexa knows the shape of (an LWA token's `|`, a client secret's
`.`), and a value that holds a secret localexa sent is still replaced.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from localexa.server.observe.redaction import REDACTED, redact_json
from localexa.skill.messages import ENDPOINT_ID_PATTERN

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


def _char_written(char: str) -> str:
    """A pattern of the ways a skill's text may write `char`, a character of a secret that is no
    letter or digit: as is, after backslashes (JSON's `\\/`, as PHP writes `/`; `\\"`; one level
    more for JSON inside a JSON string), as `\\u003d` (Gson writes `=` so) or `%3D` (a URL)."""
    code = f"{ord(char):02x}"
    # At most three backslashes (JSON inside a JSON string): an unbounded run made the search
    # quadratic in a run of backslashes (40 KB of them took 10 s; an answer may hold 6 MB).
    return rf"(?:\\{{0,3}}{re.escape(char)}|\\{{1,3}}u00(?i:{code})|%(?i:{code}))"


@functools.lru_cache(maxsize=256)
def _written(secret: str) -> tuple[re.Pattern[str], re.Pattern[bytes]] | None:
    """`secret` however a skill's text writes it (`_char_written`), as text and as bytes; None for
    a secret that only letters and digits make up (it is found as is) or that is not ASCII."""
    if not secret.isascii() or secret.isalnum():
        return None
    pattern = "".join(char if char.isalnum() else _char_written(char) for char in secret)
    return re.compile(pattern), re.compile(pattern.encode())


def scrub_text(text: str, secrets: Secrets) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
        # Escaped: a skill's JSON encoder or a URL may write its `/`, `=` or `+` otherwise (a
        # Gson skill's `…\u003d` showed the rest of the token in clear until 2026-12-07).
        if ("\\" in text or "%" in text) and (written := _written(secret)) is not None:
            text = written[0].sub(REDACTED, text)
    return text


def scrub_bytes(body: bytes, secrets: Secrets) -> bytes:
    """Bytes as received (any encoding that keeps ASCII as is: tokens are ASCII)."""
    for secret in secrets:
        raw = secret.encode()
        if raw in body:
            body = body.replace(raw, REDACTED.encode())
        if (b"\\" in body or b"%" in body) and (written := _written(secret)) is not None:
            body = written[1].sub(REDACTED.encode(), body)
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
    """The journal's redaction (by field name) plus the sent secrets (by value), endpointIds of
    the v3 pattern kept as given (module docstring)."""
    redacted = scrub_json(redact_json(value), secrets)
    for given, kept in _endpoint_holders(value, redacted):
        endpoint_id = given.get("endpointId")
        if (
            isinstance(endpoint_id, str)
            and _ENDPOINT_ID.fullmatch(endpoint_id)
            and scrub_text(endpoint_id, secrets) == endpoint_id
        ):
            kept["endpointId"] = endpoint_id
    return redacted


_ENDPOINT_ID = re.compile(ENDPOINT_ID_PATTERN)


def _endpoint_holders(given: Any, kept: Any) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
    """The objects of a message that name an endpoint, as given and in the redacted copy (the same
    shape: redaction maps each object and list to one of its own): the directive's or event's
    `endpoint`, and the `payload.endpoints` of Discover.Response, AddOrUpdateReport and
    DeleteReport. A pair whose key the redaction changed is skipped."""
    for key in ("directive", "event"):
        inner, inner_kept = _at(given, key), _at(kept, key)
        endpoint, endpoint_kept = _at(inner, "endpoint"), _at(inner_kept, "endpoint")
        if isinstance(endpoint, Mapping) and isinstance(endpoint_kept, dict):
            yield endpoint, endpoint_kept
        listed, listed_kept = _at(inner, "payload", "endpoints"), _at(inner_kept, "payload", "endpoints")
        if isinstance(listed, list) and isinstance(listed_kept, list) and len(listed) == len(listed_kept):
            for one, one_kept in zip(listed, listed_kept, strict=True):
                if isinstance(one, Mapping) and isinstance(one_kept, dict):
                    yield one, one_kept
