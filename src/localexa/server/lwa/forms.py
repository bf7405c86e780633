"""Reading a token request: the body (form or JSON) and HTTP Basic client authentication.

RFC 6749 §4.1.3/§6/§4.4.2 send `application/x-www-form-urlencoded` bodies; two real clients
differ (../shared/spec/alexa-api-surface.md §3 "Client quirks"):

- Amazon's Python runtime (`ask_sdk_model_runtime/lwa/lwa_client.py`) formats the body itself,
  `"grant_type={}&client_id={}&client_secret={}&refresh_token={}"`, without URL-encoding: a raw
  `|` in `Atzr|…`, and whatever else the values hold (`+`, `/`, `=`) unescaped.
- ask-cli posts JSON.

So a form body is parsed by hand. A body that holds a character a URI query cannot hold raw (RFC
3986 §3.4 allows `A-Z a-z 0-9 - . _ ~`, the sub-delims `! $ & ' ( ) * + , ; =`, `: @ / ?` and the
`%` of escapes) was not encoded: `|` (every LWA token has one), a space, `"`, `<`, `>`, a
backslash, `^`, a backquote, `{`, `}`, `[`, `]`, `#` or anything beyond ASCII. Its values are taken
literally, so a `+` inside a token stays a `+` and `%7C` stays `%7C`. Any other body is decoded as
usual (`+` is a space, `%XX` a byte), as the WHATWG URL standard's form parser, Python's
`parse_qsl` and api.amazon.com read it. One rule per body, never per value. `! ' ( )` are in the
set because JavaScript's `encodeURIComponent` and Node's `querystring` leave them raw (a redirect
URI `…/cb(1)` encoded by them was read literally and its `%3A%2F%2F` never decoded); `: / , ; $ @
?` since 2026-12-06, because `curl -d` leaves what it is given raw: `--data-urlencode
refresh_token=$REFRESH -d scope=profile:user_id` was read literally for its `:`, so the refresh
token's `%7C` was never decoded and the answer was a misleading `invalid_grant` (QA of 2026-12-06).
A body holding one of them and nothing else unencoded was sent by an encoder that leaves them raw,
or by hand; every value localexa issues (hex secrets, URL-safe tokens after `Atzr|`) reads the same
either way apart from that `|`.

A parameter the endpoint reads (`TOKEN_PARAMETERS`) given twice is refused (RFC 6749 §3.2), in a
form or as a JSON key, not read as its last value. Any other parameter is ignored, repeated or
not (§3.2: "MUST ignore unrecognized request parameters"; RFC 8707 sends `resource` several times).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import unquote, unquote_plus

from localexa.server.core import strict_json
from localexa.server.core.errors import Parts, Sent
from localexa.server.core.json_body import NOT_FINITE_MESSAGE
from localexa.server.core.message_parts import quoted
from localexa.server.lwa.oauth_errors import InvalidClient, InvalidRequest

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
#: Characters a URI query cannot hold raw (RFC 3986 §3.4: unreserved, sub-delims, `: @ / ?` and
#: `%`): what no encoder emits, neither WHATWG/RFC 1866 forms, Python's urlencode, JavaScript's
#: encodeURIComponent / Node's querystring (`! ' ( )` raw) nor `curl -d` given a URL-safe value.
_NOT_ENCODED = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]")
MULTIPART = "multipart/form-data"
#: What the token endpoint reads: RFC 6749 §4.1.3, §4.4.2 and §6, client authentication in the
#: body (§2.3.1), RFC 7636 §4.5's verifier.
TOKEN_PARAMETERS = frozenset(
    {
        "grant_type",
        "code",
        "redirect_uri",
        "client_id",
        "client_secret",
        "refresh_token",
        "scope",
        "code_verifier",
    }
)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_token_body(content_type: str | None, body: bytes) -> dict[str, str]:
    """The parameters of a token request (`content_type`: its Content-Type header as Starlette
    reads it); parameters without a value are omitted (RFC 6749 §3.1).

    Raises InvalidRequest for an unsupported content type, bytes that are not UTF-8, JSON that is
    not an object of strings, or a repeated parameter (RFC 6749 §3.2).
    """
    kind = media_type(content_type)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("The request body is not UTF-8.") from None
    # RFC 8259 §8.1: a parser may ignore a byte order mark, as localexa's other JSON bodies do; a
    # form too (an editor's or PowerShell's file sent with `curl --data @file`): kept, it made the
    # form "unencoded" and its first name `\ufeffgrant_type`, so the request had no grant_type.
    text = text.removeprefix("\ufeff")
    if kind == JSON or (kind.startswith("application/") and kind.endswith("+json")):
        return _parse_json(text)
    # No content type at all is read as a form: what `curl --data` and RFC 6749 send.
    if kind in (FORM, ""):
        return parse_lenient_form(text)
    raise InvalidRequest(
        Parts.of(
            "The Content-Type ",
            *quoted(_sent(content_type or "")),
            " is not supported: send application/x-www-form-urlencoded (or application/json).",
        )
    )


def _sent(header: str) -> Sent:
    """A header's value as sent: Starlette reads a header's bytes as latin-1, clients send a
    non-ASCII one as UTF-8 (as the Host and Content-Encoding refusals read it,
    core/message_parts.py `Sent.header`). Until the night of 2026-12-06 the Content-Type was
    quoted lower-cased and without its parameters (`Text/Plain; charset=UTF-8` read `text/plain`),
    not as the client sent it. Its first 100 characters are quoted (`quoted`): it was quoted whole,
    so a 60 KB header made a 180 KB error_description (re-verification of 2026-12-06)."""
    try:
        return Sent.header(header.encode("latin-1"))
    except UnicodeEncodeError:  # not read from the wire (a caller's own text): as it is
        return Sent(header)


def _decoded(name: str, raw_value: str) -> str:
    """`raw_value` with its escapes decoded; escapes that are not UTF-8 (`%ff`) are refused, as the
    Credential Locker refuses them: decoded with replacement they became U+FFFD, a character the
    client never sent, quoted back in the error ("The grant_type '\ufffd' is not supported")."""
    try:
        return unquote_plus(raw_value, errors="strict")
    except UnicodeDecodeError:
        raise InvalidRequest(
            f"The parameter {name} must be valid UTF-8 once its %XX escapes are decoded."
        ) from None


def parse_lenient_form(text: str) -> dict[str, str]:
    encoded = not _NOT_ENCODED.search(text)
    params: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition("=")
        # A name that is not UTF-8 names no parameter the endpoint reads: ignored as any other.
        name = (unquote_plus(raw_name) if encoded else raw_name).strip()
        if name not in TOKEN_PARAMETERS:
            continue
        value = _decoded(name, raw_value) if encoded else raw_value
        _put(params, name, value)
    return {name: value for name, value in params.items() if value != ""}


def _refuse_repeated_parameters(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object hook: a parameter the endpoint reads may come once; others may repeat."""
    obj: dict[str, Any] = {}
    for name, value in pairs:
        if name in obj and name in TOKEN_PARAMETERS:
            raise strict_json.RepeatedKey(name)
        obj[name] = value
    return obj


def _parse_json(text: str) -> dict[str, str]:
    try:
        data = (
            json.loads(
                text,
                object_pairs_hook=_refuse_repeated_parameters,
                parse_int=strict_json.bounded_int,
                # NaN, Infinity and 1e400 are no JSON numbers (RFC 8259 §6): a parameter holding one
                # was taken as a number, or ignored (re-verification of 2026-12-06).
                parse_float=strict_json.finite_float,
                parse_constant=strict_json.no_constant,
            )
            if text.strip()
            else {}
        )
        strict_json.refuse_too_deep(text, data)
    except strict_json.TooDeep:  # deeper than MAX_DEPTH: valid JSON, too deep to read
        raise InvalidRequest(strict_json.TOO_DEEP_MESSAGE) from None
    except strict_json.RepeatedKey as repeated:
        raise InvalidRequest(f"The parameter {repeated.name} is included more than once.") from None
    except RecursionError:  # nested ~1,000 deep (a 500 before): valid JSON, too deep to read
        raise InvalidRequest(strict_json.TOO_DEEP_MESSAGE) from None
    except strict_json.TooLongNumber:
        raise InvalidRequest(strict_json.too_long_number_message()) from None
    except strict_json.NonFiniteNumber:
        raise InvalidRequest(NOT_FINITE_MESSAGE) from None
    except ValueError:
        raise InvalidRequest("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidRequest("The JSON request body must be an object.")
    params: dict[str, str] = {}
    for name, value in data.items():
        if name not in TOKEN_PARAMETERS or value is None or value == "":
            continue
        if not isinstance(value, str):
            raise InvalidRequest(f"The parameter {name} must be a string.")
        params[name] = value
    return params


def _put(params: dict[str, str], name: str, value: str) -> None:
    if name not in TOKEN_PARAMETERS:
        return
    if name in params and value != "" and params[name] != "":
        raise InvalidRequest(f"The parameter {name} is included more than once.")
    if value != "" or name not in params:
        params[name] = value


def parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    """`Authorization: Basic base64(client_id:client_secret)` (RFC 6749 §2.3.1), or None.

    Other schemes are not client authentication and are ignored. The RFC percent-encodes both
    parts before base64 (Authlib does, with `quote`); requests' HTTPBasicAuth does not. Decoding
    `%XX` only (never `+` as a space) reads both right for every id and secret localexa issues.
    """
    if not header:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text (a 500 before)
        raise InvalidClient(
            "The HTTP Basic credentials are not valid base64 of client_id:client_secret."
        ) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise InvalidClient("The HTTP Basic credentials must be client_id:client_secret.")
    try:
        return unquote(client_id, errors="strict"), unquote(secret, errors="strict")
    except UnicodeDecodeError:  # `%ff` was read as U+FFFD, a client the caller never named
        raise InvalidClient(
            "The HTTP Basic credentials are not UTF-8 once their %XX escapes are decoded."
        ) from None
