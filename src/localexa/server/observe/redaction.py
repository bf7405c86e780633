"""Redaction of every secret before anything reaches the journal (or a log line).

What counts as secret (issue 7): `Authorization` and other credential headers; the fields
access_token, refresh_token, client_secret, code, code_verifier, code_challenge, password,
networkKey, pskc, auth_code, id_token, admin_key, csrf_token, client_confirmation, secret and
token in JSON and form bodies and query strings (so `endpoint.scope.token`, `grantee.token` and
`grant.code` of directives too), each in any case and spelled with `_`, `-` or nothing between its words
(`networkKey`, `network_key`, `network-key`); and LWA tokens (`Atza|…`, `Atzr|…`,
client_credentials `Atc|…`) anywhere in any text. A JSON `code` beside a `message` or
`description` is an error code, not an authorization code, and stays readable.

A body in UTF-16 or UTF-32 (a BOM, or NULs beside its first ASCII characters, as `json`'s own
detection reads them) is read as text in that encoding, parsed or not: read as UTF-8, its key and
secret had NULs between their letters, and no pattern saw them.

Bodies that do not parse (truncated at the journal's cap, or not JSON/form at all) are scrubbed
with patterns instead, so a cut-off `"password": "hun` is still hidden, and so are the near-JSON
bodies a client gets wrong (`{'networkKey': '…'}`, `{networkKey: "…"}`, `{"networkKey": 0bad…}`).
In such a body, JSON escapes of ASCII letters, digits, `_` and `-` (`"network\\u004bey"`) are
decoded first, so the journal shows them as the characters they stand for; no other escape is.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from localexa.server.observe.multipart_redaction import redact_multipart

REDACTED = "[redacted]"

#: The secret field names, as their words. Names are compared after lower-casing and dropping `_`
#: and `-` (so accessToken = access_token = access-token); the patterns below allow `_`, `-` or
#: nothing between the words, so a body that does not parse is scrubbed for the same names.
_SECRET_WORDS: tuple[tuple[str, ...], ...] = (
    ("access", "token"),
    ("refresh", "token"),
    ("client", "secret"),
    ("code",),
    ("code", "verifier"),
    # A `plain` PKCE challenge is the verifier itself (RFC 7636 §4.2); an S256 one is no secret,
    # but telling them apart would need the method beside it.
    ("code", "challenge"),
    ("password",),
    ("network", "key"),
    ("pskc",),
    ("auth", "code"),
    ("token",),
    ("id", "token"),
    ("secret",),
    ("admin", "key"),
    ("csrf", "token"),
    ("client", "confirmation"),
    # Credentials a token URL may carry in its query (QA, 2026-12-06: a skill's accessTokenUrl
    # `…/token?key=APIKEY` was logged in clear when it could not be reached): API keys, Azure SAS
    # signatures, S3 pre-signed URLs' signature, credential and session token.
    ("key",),
    ("api", "key"),
    ("sig",),
    ("signature",),
    ("x", "amz", "signature"),
    ("x", "amz", "credential"),
    ("x", "amz", "security", "token"),
)
_SECRET_FIELDS = frozenset("".join(words) for words in _SECRET_WORDS)
_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-localexa-admin-key",
        "x-amz-access-token",
    }
)
_ERROR_SIBLINGS = ("message", "description")

_LWA_TOKEN = re.compile(r"(Atz[ar]|Atc)(?:\||%7C|%7c)[A-Za-z0-9\-_.~%|+/=]+")
_FIELD_ALTERNATIVES = "|".join("[_-]?".join(words) for words in _SECRET_WORDS)
# "field": "value" (the value may be cut off by the cap: no closing quote needed).
_JSON_FIELD = re.compile(rf'("(?:{_FIELD_ALTERNATIVES})"\s*:\s*)"(?:[^"\\]|\\.)*"?', re.IGNORECASE)
# The same escaped, as JSON in a JSON string writes it (`\\"client_secret\\": \\"…\\"`), in a body
# cut at the cap (since 2026-12-06; a whole body's strings are parsed). A run of backslashes is
# entered at its start only and taken whole; the value stops at the next escaped quote.
_ESCAPED_JSON_FIELD = re.compile(
    rf"""((?<!\\)\\++"(?:{_FIELD_ALTERNATIVES})\\++"\s*+:\s*+\\++")(?:[^"\\]|\\[^"\\])*+""",
    re.IGNORECASE,
)
# The same in a body that is not JSON: keys in single, double or no quotes, values quoted either
# way or bare up to the next `,`, `}`, `]` or space. Bodies only: a header or log line saying
# `token: …` is rare, and this pattern costs more than the JSON one on every header.
_LOOSE_FIELD = re.compile(
    rf"""((?<![\w])["']?(?:{_FIELD_ALTERNATIVES})["']?\s*:\s*)"""
    r"""(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s,}\]]+)""",
    re.IGNORECASE,
)
# field=value in forms and query strings, also the first one of a quoted string (uvicorn's trace
# line prints the ASGI scope's `b'access_token=…'`) and of a URL's fragment (`#access_token=…`, the
# implicit grant's; since 2026-12-06).
_FORM_FIELD = re.compile(rf"(^|[&?;#\s\"'])((?:{_FIELD_ALTERNATIVES})=)[^&\s\"'#]*", re.IGNORECASE)
# The same in a JSON string or a form's value, where a field starts only at the start or after `?`,
# `&`, `;` or `#`: after a space it is prose (`"status code=500; see …"` stays readable).
_VALUE_FORM_FIELD = re.compile(rf"(^|[&?;#])((?:{_FIELD_ALTERNATIVES})=)[^&\s\"'#]*", re.IGNORECASE)
# A string shaped as a form (`code=…&state=…`): its first field is a field, not prose.
_FORM_SHAPE = re.compile(r"[A-Za-z0-9_.\-%]++=")
# field=value whose name has percent-escapes (`access%5Ftoken=`, `%63lient_secret=`): a form
# parser (parse_qsl, Starlette's) decodes the name, so the server reads the secret field, but the
# plain pattern above does not see it. The name is decoded and checked; it stays as sent.
# The name's run is taken whole (possessive) and `_redact_encoded_field` checks it has a `%`: with
# the `%` in the pattern, a long run of escapes not followed by `=` was tried at every split point
# (`=&%41%41…`: 60 KB in one header stopped the event loop for 27 s; security QA of 2026-12-06).
_ENCODED_FORM_FIELD = re.compile(
    r"(^|[&?;#\s\"'])((?:[A-Za-z0-9_\-]|%[0-9A-Fa-f]{2})++=)"
    r"[^&\s\"'#]*+"
)
# <input name="field" value="…"> in HTML pages.
# The gap to `value=` stops at the next attribute called `name` (any tag's `name=`, not
# `data-name=`): from every `name="code"` of a header full of them, `[^>]*?` scanned to the end of
# the text (quadratic: 60 KB stopped the event loop for seconds), and a gap bounded by length
# let a long class list between name and value leak the value (re-verification of 2026-12-06).
_HTML_FIELD = re.compile(
    rf"""(name=["'](?:{_FIELD_ALTERNATIVES})["'](?:(?!(?<![\w-])name=)[^>])*?value=["'])[^"']*+""",
    re.IGNORECASE,
)
# The same with the value first (`<input value="…" name="password">`, which leaked: since
# 2026-12-06). The gap from the value to `name=` stops at the tag's end and at the next `value=` or
# `name=` attribute, so each `value=` scans only to the next one: linear, as the pattern above.
_HTML_VALUE_FIRST = re.compile(
    r"""((?<![\w-])value=["'])[^"'>]*+"""
    rf"""(["'](?:(?!(?<![\w-])(?:value|name)=)[^>])*?(?<![\w-])name=["'](?:{_FIELD_ALTERNATIVES})["'])""",
    re.IGNORECASE,
)
# field%3Dvalue: a secret field of a URL carried percent-encoded in another URL's query
# (`redirect_uri=https%3A%2F%2Fx%2Fcb%3Fcode%3DSECRET`), after `%3F` (?), `%26` (&), `%3B` (;) or
# `%23` (#) or where a form field could start (since 2026-12-06). Encoded any number of times
# (`%25253D` is `=` encoded thrice; since 2026-12-06 too): every `%` may be followed by `25`s. The
# value runs to the next encoded `&` (or an unencoded delimiter); each run is taken whole.
_NESTED_FORM_FIELD = re.compile(
    rf"""((?:^|[&?;#\s"'=]|%(?:25)*+(?:3[Ff]|26|3[Bb]|23))(?:{_FIELD_ALTERNATIVES})%(?:25)*+3[Dd])"""
    r"""(?:[^&\s"'#%]|%(?!(?:25)*+26))*+""",
    re.IGNORECASE,
)

# The text of an element whose id names a secret (`<code id="code">…</code>` on the demo callback
# page, which shows a live authorization code): bodies only, as the page's other fields.
_HTML_ELEMENT = re.compile(
    # Atomic up to the id: if the tag does not close after the first one, it closes after none.
    rf"""((?><[A-Za-z][A-Za-z0-9]*+\b[^<>]*?\bid=["'](?:{_FIELD_ALTERNATIVES})["'])[^<>]*+>)[^<]*+""",
    re.IGNORECASE,
)

# A JSON escape, each in turn, so that `\\\\` is one escape and not the start of another.
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
#: The characters of a field name whose escapes are decoded before the patterns run: every secret
#: name is made of them, and none of them is a quote or a backslash, so decoding them changes no
#: string's extent.
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
#: BOMs without a NUL in them: UTF-16's (UTF-32 LE's starts with it) and UTF-8's. UTF-32 BE's
#: starts with NULs.
_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)

# user:password@ in a URL anywhere in text (a skill's accessTokenUrl may carry one; httpx logs it).
# The scheme starts where no scheme character stands before it, and each run is taken whole: from
# every letter of a long word not followed by `://`, the pattern scanned the rest of it again.
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*+://)[^/?#\s@\"']++@")


def is_secret_field(name: str) -> bool:
    # Stripped as the token endpoint strips a form parameter's name (lwa/forms.py): `+client_secret`
    # was read as the secret there and shown in clear here (review of 2026-12-07).
    return name.strip().lower().replace("_", "").replace("-", "") in _SECRET_FIELDS


def _redact_embedded_secrets(text: str) -> str:
    # Every LWA token holds "Atz" or "Atc" and every userinfo "@": most text (header values, names,
    # ids) holds none, and an `in` test is far cheaper than running a pattern (the journal redacts
    # every call's headers).
    if "Atz" in text or "Atc" in text:
        text = _LWA_TOKEN.sub(lambda m: f"{m.group(1)}|{REDACTED}", text)
    if "@" in text and "://" in text:
        text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return text


# A credential header as a pair in a repr: httpcore's debug trace of an outbound call prints the
# response's headers as `(b'Set-Cookie', b'…')` (QA of 2026-12-06: a skill's cookie in the log),
# a dict as `'set-cookie': '…'`. The value ends at its own closing quote.
_HEADER_PAIR = re.compile(
    r"""(b?(['"])(?:"""
    + "|".join(re.escape(name) for name in sorted(_SECRET_HEADERS))
    + r""")\2\s*[,:]\s*b?(['"]))(?:\\.|(?!\3).)*+\3?""",
    re.IGNORECASE,
)


def redact_header_pairs(text: str) -> str:
    """Scrub the values of credential headers printed as pairs (log lines only: the journal
    records headers as headers, `redact_headers`)."""
    if "'" not in text and '"' not in text:
        return text
    lowered = text.lower()
    if not any(name in lowered for name in _SECRET_HEADERS):
        return text
    return _HEADER_PAIR.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)


def redact_text(text: str) -> str:
    """Pattern-based scrub for text of unknown shape (also used on log messages).

    Each pattern needs a character the text must hold for it to match (a quote for JSON fields,
    `=` for form and HTML fields), tested first: the journal scrubs every header of every call.
    """
    text = _redact_embedded_secrets(text)
    if '"' in text:
        text = _JSON_FIELD.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    if "=" in text:
        text = _FORM_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        if "%" in text:
            text = _ENCODED_FORM_FIELD.sub(_redact_encoded_field, text)
        text = _HTML_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
        text = _HTML_VALUE_FIRST.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", text)
    if "%3" in text or "%2" in text:
        text = _NESTED_FORM_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return text


def _redact_value(value: str) -> str:
    """A field's value (a form's or query's pair, a JSON string): LWA tokens and userinfo, the
    secret fields of a URL or form it carries (`redirect_uri=https://x/cb?code=…`, decoded from
    `https%3A%2F%2Fx%2Fcb%3Fcode%3D…`, or after `#`), and of JSON it carries (`"{\"client_secret\":
    …}"`); since 2026-12-06. Only a value shaped as a URL or a form is read as one: prose
    (`"status code=500; see …"`) stays as it is."""
    value = _redact_embedded_secrets(value)
    if value[:1] in ("{", "[") or '{"' in value:
        value = _redact_json_text(value)
    if "=" in value and ("://" in value or "?" in value or "#" in value or _FORM_SHAPE.match(value)):
        value = _VALUE_FORM_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", value)
    if "%3" in value or "%2" in value:
        value = _NESTED_FORM_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}", value)
    return value


def _redact_json_text(text: str) -> str:
    """JSON carried in a string: parsed and rebuilt when a secret is in it (nested strings in
    turn: each level is shorter than the one holding it), else scrubbed by pattern."""
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return _JSON_FIELD.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text) if '"' in text else text
    redacted = redact_json(parsed)
    return text if redacted == parsed else json.dumps(redacted, ensure_ascii=False)


def _redact_encoded_field(match: re.Match[str]) -> str:
    if "%" not in match.group(2):  # a plain name: `_FORM_FIELD`'s
        return match.group()
    name = unquote(match.group(2)[:-1])
    if not is_secret_field(name):
        return match.group()
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def redact_json(value: Any) -> Any:
    """A copy of a decoded JSON value with every secret field replaced."""
    if isinstance(value, dict):
        is_error = any(key in value for key in _ERROR_SIBLINGS)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if is_secret_field(str(key)) and not (key == "code" and is_error) and item is not None:
                out[key] = REDACTED
            else:
                out[key] = redact_json(item)
        return out
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if isinstance(value, str):
        return _redact_value(value)
    return value


def redact_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(key, REDACTED if is_secret_field(key) else _redact_value(value)) for key, value in pairs]


def redact_query(query: str) -> str:
    if not query:
        return query
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return redact_text(query)
    return urlencode(redact_pairs(pairs), safe="[]|:/")


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    return urlunsplit((parts.scheme, netloc, parts.path, redact_query(parts.query), ""))


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        lowered = name.lower()
        if lowered in _SECRET_HEADERS:
            out[lowered] = REDACTED
        elif lowered == "location":
            out[lowered] = redact_url(value)
        else:
            out[lowered] = redact_text(value)
    return out


def _body_text(body: bytes) -> str:
    """The body as text: UTF-8, unless it starts with a BOM or has a NUL among its first four bytes
    (UTF-16 or UTF-32, which `json.loads` reads too), then in the encoding `json` detects. Read as
    UTF-8, such a body had a NUL between every two letters, and no pattern matched its fields."""
    head = body[:4]
    if b"\x00" in head or head.startswith(_BOMS):  # a slice and two tests: cheap on every body
        return body.decode(json.detect_encoding(body), errors="replace")
    return body.decode("utf-8", errors="replace")


def _decode_name_escapes(text: str) -> str:
    """`text` with the JSON escapes of letters, digits, `_` and `-` decoded (`"network\\u004bey"`
    is the field networkKey to any JSON parser); every other escape stays as it was written."""

    def decoded(match: re.Match[str]) -> str:
        digits = match.group(1)
        if digits is not None:
            character = chr(int(digits, 16))
            if character in _NAME_CHARACTERS:
                return character
        return match.group()

    return _ESCAPE.sub(decoded, text)


def decode_body(body: bytes, content_type: str | None) -> Any | None:
    """The JSON value or form pairs of a whole body, or None when it is neither."""
    if not body:
        return None
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    text = _body_text(body)
    if kind == "application/x-www-form-urlencoded":
        try:
            return parse_qsl(text, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            return None
    if kind.endswith("json") or text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return None
    return None


#: `redact_body`'s default: the caller has not decoded the body (`decode_body`) already.
NOT_DECODED: Any = object()


def redact_body(
    body: bytes, content_type: str | None, *, truncated: bool = False, decoded: Any = NOT_DECODED
) -> str | None:
    """The body as redacted text. A complete JSON or form body is parsed and rebuilt; anything
    else (including a body cut at the cap) is scrubbed by pattern. `decoded` is what
    `decode_body` gave for this body, when the caller has it (the journal does)."""
    if not body:
        return None
    if truncated:
        decoded = None
    elif decoded is NOT_DECODED:
        decoded = decode_body(body, content_type)
    if isinstance(decoded, list) and decoded and all(isinstance(p, tuple) for p in decoded):
        return urlencode(redact_pairs(decoded), safe="[]|:/")
    if decoded is not None:
        return json.dumps(redact_json(decoded), ensure_ascii=False, separators=(",", ":"))
    text = _body_text(body)
    if "form-data" in text.lower():
        text = redact_multipart(text, is_secret_field, REDACTED)
    if "\\u" in text:  # a field name may hide behind escapes
        text = _decode_name_escapes(text)
    if ":" in text:
        text = _LOOSE_FIELD.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
        if '\\"' in text:
            text = _ESCAPED_JSON_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    if "<" in text and "id=" in text:
        text = _HTML_ELEMENT.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return redact_text(text)
