"""One observed call, as captured on the hot path, and its redacted journal row.

Capturing only copies references and bytes (cheap, on the request's path); turning an `Exchange`
into a row (decoding, redacting, finding caller, customer and skill) happens in the journal's
background writer, off the request's path.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import String

from localexa.server.core import strict_json
from localexa.server.core.auth import Principal
from localexa.server.observe.models import JournalEntry
from localexa.server.observe.redaction import (
    decode_body,
    redact_body,
    redact_headers,
    redact_query,
    redact_text,
    redact_url,
)

#: The deepest JSON body the journal redacts field by field. The redaction recurses, two frames a
#: level on Python 3.11 (a list comprehension is a frame of its own there), within a recursion
#: limit of 1,000: half of what a body may nest (core/strict_json.py), deeper ones as text.
JOURNAL_JSON_DEPTH = strict_json.MAX_DEPTH // 2
SKILL_ID_PREFIX = "amzn1.ask.skill."
_SKILL_PARAMS = ("skillId", "skill_id")
_CUSTOMER_PARAMS = ("userId", "user_id")
ADMIN_PREFIXES = ("/_localexa", "/console")
#: The request-state key the console sets once a signed-in session (or the right key at sign-in)
#: authenticated the call (console/session.py `read_session`, console/routes.py `login`). The
#: admin API's key is checked by the middleware itself: it is one header, compared as
#: core/auth.py `require_admin_key` does.
ADMIN_AUTHENTICATED = "localexa_admin_authenticated"
#: What stands for U+0000 in the journal (PostgreSQL cannot store NUL in text): SYMBOL FOR NULL.
NUL_STAND_IN = "\N{SYMBOL FOR NULL}"
#: Characters UTF-8 cannot encode (`"\ud800"` in JSON decodes to one): no database stores them.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: The journal's columns of bounded length: a longer value (an id of a refused call, say) is cut.
_COLUMN_LENGTHS = {
    column.name: column.type.length
    for column in JournalEntry.__table__.columns
    if isinstance(column.type, String) and column.type.length
}


@dataclass
class Exchange:
    direction: str  # inbound | outbound
    at: datetime
    method: str
    path: str
    status: int | None
    latency_ms: float
    query: str = ""
    url: str | None = None
    route: str | None = None
    request_id: str | None = None
    region: str | None = None
    principal: Principal | None = None
    path_params: dict[str, Any] = field(default_factory=dict)
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    request_truncated: bool = False
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    response_truncated: bool = False
    error: str | None = None
    fault_id: str | None = None
    #: Named by the code that made the call (observe/behalf.py): they win over what the
    #: principal, the path and the bodies say.
    customer: str | None = None
    skill: str | None = None
    #: The admin key or a signed-in console session authenticated this call (middleware.py).
    admin: bool = False


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _basic_client_id(headers: list[tuple[str, str]]) -> str | None:
    """The client id of `Authorization: Basic` (the user half only; the secret is dropped)."""
    value = _header(headers, "authorization") or ""
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.split(":", 1)[0] or None


def _field(decoded: Any, name: str) -> str | None:
    if isinstance(decoded, dict):
        value = decoded.get(name)
        return value if isinstance(value, str) and value else None
    if isinstance(decoded, list):
        for pair in decoded:
            if isinstance(pair, tuple) and pair[0] == name and pair[1]:
                return str(pair[1])
    return None


def skill_in_path(path: str) -> str | None:
    for segment in path.split("/"):
        if segment.startswith(SKILL_ID_PREFIX):
            return segment
    return None


@dataclass(frozen=True)
class Attribution:
    caller: str | None
    customer: str | None
    skill: str | None
    #: Resolve the skill from this LWA client (a skill messaging client) when `skill` is None.
    client_id: str | None


def attribute(ex: Exchange, request_json: Any, response_json: Any) -> Attribution:
    """Who called, for which customer and skill (from the principal, path and bodies)."""
    principal = ex.principal
    customer = ex.customer or (principal.user_id if principal else None)
    if ex.direction == "outbound":
        caller: str | None = "localexa"
    elif ex.path.startswith(ADMIN_PREFIXES):
        # `admin` only when the admin authenticated the call: a path of the admin's (a wrong key,
        # the console's sign-in, the demo's callback page a browser is sent to) names no caller,
        # as an LWA or API call without credentials. No fallback to the body's `clientId`: an
        # admin call's body names the client it acts on (POST /_localexa/tokens), not the caller.
        caller = "admin" if ex.admin else None
    elif principal is not None:
        caller = principal.client_id
    else:
        caller = (
            _field(request_json, "client_id")
            or _field(request_json, "clientId")
            or _basic_client_id(ex.request_headers)
        )
    if customer is None and ex.direction == "inbound":
        customer = (
            next((str(ex.path_params[p]) for p in _CUSTOMER_PARAMS if ex.path_params.get(p)), None)
            or _field(request_json, "userId")
            or _field(response_json, "userId")
        )
    skill = ex.skill or next((str(ex.path_params[p]) for p in _SKILL_PARAMS if ex.path_params.get(p)), None)
    skill = skill or skill_in_path(ex.path)
    if skill is None and ex.direction == "inbound":
        skill = _field(request_json, "skillId") or _field(response_json, "skillId")
    client_id = principal.client_id if principal and skill is None else None
    return Attribution(caller=caller, customer=customer, skill=skill, client_id=client_id)


def _path_of(url: str) -> str:
    """The path of the URL called, read before redaction: the redacted URL's `[redacted]@` reads
    as a broken IPv6 host to urlsplit, which raised, and the entry was skipped."""
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "/"


def to_row(ex: Exchange) -> tuple[dict[str, Any], Attribution]:
    """The redacted journal row of `ex` (without the skill of a messaging client, resolved later)."""
    request_type = _header(ex.request_headers, "content-type")
    response_type = _header(ex.response_headers, "content-type")
    request_json = None if ex.request_truncated else _decoded(ex.request_body, request_type)
    response_json = None if ex.response_truncated else _decoded(ex.response_body, response_type)
    who = attribute(ex, request_json, response_json)
    # A token pasted into a path (`/foo/Atza|…`) is redacted there too, as everywhere else.
    url = redact_text(redact_url(ex.url)) if ex.url else None
    row: dict[str, Any] = {
        "at": ex.at,
        "direction": ex.direction,
        "method": ex.method,
        "path": redact_text(ex.path if ex.url is None else _path_of(ex.url)),
        "query": redact_query(ex.query) or None,
        "url": url,
        "route": ex.route,
        "status": ex.status,
        "latency_ms": round(ex.latency_ms, 3),
        "request_id": ex.request_id,
        # Read from the path, a body or client credentials, where a pasted token is redacted too.
        "caller": redact_text(who.caller) if who.caller else who.caller,
        "customer": redact_text(who.customer) if who.customer else who.customer,
        "skill": redact_text(who.skill) if who.skill else who.skill,
        "region": ex.region,
        "request_headers": redact_headers(ex.request_headers),
        "request_body": _with_mark(
            redact_body(ex.request_body, request_type, truncated=ex.request_truncated, decoded=request_json),
            ex.request_truncated,
        ),
        "response_headers": redact_headers(ex.response_headers),
        "response_body": _with_mark(
            redact_body(
                ex.response_body, response_type, truncated=ex.response_truncated, decoded=response_json
            ),
            ex.response_truncated,
        ),
        "error": ex.error,
        "fault_id": ex.fault_id,
    }
    return storable(row), who


def _decoded(body: bytes, content_type: str | None) -> Any | None:
    """`decode_body`, or None (the body is then scrubbed as text) for JSON nested deeper than
    `JOURNAL_JSON_DEPTH`: the redaction walks a decoded body recursively, and a body a few
    hundred levels deep ended in a RecursionError, the call missing from the journal."""
    try:
        decoded = decode_body(body, content_type)
    except RecursionError:  # deeper than the parser reads from here
        return None
    if strict_json.parsed_deeper_than(body, decoded, JOURNAL_JSON_DEPTH):
        return None
    return decoded


def storable(row: dict[str, Any]) -> dict[str, Any]:
    """The row with what any database stores: NUL replaced (the request was refused for it, but
    its journal entry stays), lone surrogates escaped, bounded columns cut to length. One such
    value made the database refuse the whole batch it was written with."""
    for name, value in row.items():
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            value = row[name] = value.replace("\x00", NUL_STAND_IN)
        if not value.isascii() and _LONE_SURROGATE.search(value):
            # JSON's `"\ud800"` decodes to a character UTF-8 cannot encode; a body re-encoded for
            # the journal holds it. Written back as the escape it came in as, the JSON still reads.
            value = row[name] = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
        limit = _COLUMN_LENGTHS.get(name)
        if limit is not None and len(value) > limit:
            row[name] = value[: limit - 1] + "…"
    return row


def _with_mark(text: str | None, truncated: bool) -> str | None:
    if text is not None and truncated:
        return text + " …[truncated]"
    return text
