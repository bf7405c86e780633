"""Wire shapes of Login with Amazon. LWA speaks snake_case (RFC 6749 §5), so no camelCase here."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field
from pydantic.config import JsonDict

#: authorize.py refuses a longer state (it would make the redirect URL unwieldy).
MAX_STATE_LENGTH = 4096
#: The longest redirect URI a client may register.
MAX_REDIRECT_URI_LENGTH = 2048
#: What the OpenAPI document says of each registered redirect URI.
REDIRECT_URI_ITEMS: JsonDict = {
    "type": "string",
    "maxLength": MAX_REDIRECT_URI_LENGTH,
    # A scheme, then printable ASCII but `#`: what `check_redirect_uri` reads before its other
    # rules (the document must not refuse what the server takes: schemathesis checks both ways).
    "pattern": r'^[A-Za-z][A-Za-z0-9+.\-]*:[!"$-~]+$',
}
#: RFC 3986 §3.1's scheme, a colon, then printable ASCII without `#` (no fragment, no spaces, no
#: control characters: a browser would drop or fix them and go somewhere else).
_ABSOLUTE_URI = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[!"$-~]+')
#: Schemes whose "page" is the code itself, run or shown by the browser, or a local file or
#: browser-internal page the code would sit in.
_SCRIPT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})


def check_redirect_uri(uri: str, field: str) -> str:
    """A redirect URI a client may register: absolute, without a fragment (RFC 6749 §3.1.2), so
    /ap/oa never sends a code into a fragment, a `javascript:` URL or back to itself (a relative
    URI, or one a browser would first trim of a leading space). Custom schemes stay allowed: an
    app-to-app redirect is often an app's own `myapp://cb` or `com.example.app:/oauth` link
    (RFC 8252 §7.1); http and https need a host."""
    if len(uri) <= MAX_REDIRECT_URI_LENGTH and _ABSOLUTE_URI.fullmatch(uri) and _browser_target(uri):
        return uri
    raise ValueError(
        f"{field} entry {uri!r} is not an absolute URI to send a browser to: a scheme, no fragment,"
        " space or control character, a host for http(s), a port in 1-65535, and not javascript:,"
        " data:, vbscript:, file:, about: or blob:"
    )


def _browser_target(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        if parts.port == 0:
            return False
    except ValueError:  # an unbalanced IPv6 bracket, a port past 65535 or not a number
        return False
    scheme = parts.scheme.lower()
    return scheme not in _SCRIPT_SCHEMES and (bool(host) or scheme not in ("http", "https"))


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 as LWA sends it (access-token doc)."""

    access_token: str = Field(examples=["Atza|IwEB…", "Atc|MQEB…"])
    refresh_token: str | None = Field(default=None, examples=["Atzr|IwEB…"])
    # Sent for client_credentials only (Amazon's skill messaging page), space-separated.
    scope: str | None = Field(default=None, examples=["alexa:skill_messaging"])
    # No default: LWA always sends it (spec §3 "Token success response"), so the document marks it
    # required and a client generated from it need not handle a body without one.
    token_type: Literal["bearer"]
    expires_in: int = Field(examples=[3600])


class LwaError(BaseModel):
    """RFC 6749 §5.2 error body (ask_sdk_model_runtime/lwa/error.py)."""

    error: str = Field(examples=["invalid_grant"])
    error_description: str


class TokenInfoResponse(BaseModel):
    iss: str = Field(examples=["https://www.amazon.com"])
    user_id: str | None = Field(default=None, examples=["amzn1.account.ABC…"])
    aud: str
    app_id: str
    exp: int = Field(description="Seconds until the token expires.")
    iat: int = Field(description="When the token was issued, in seconds since the epoch.")


class ProfileResponse(BaseModel):
    user_id: str
    name: str | None = None
    email: str | None = None
    postal_code: str | None = None


TOKEN_REQUEST_BODY: dict[str, object] = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["grant_type"],
                "properties": {
                    "grant_type": {
                        "type": "string",
                        "enum": ["authorization_code", "refresh_token", "client_credentials"],
                    },
                    "code": {"type": "string"},
                    "redirect_uri": {"type": "string"},
                    "code_verifier": {"type": "string"},
                    "refresh_token": {"type": "string"},
                    "scope": {"type": "string"},
                    "client_id": {"type": "string"},
                    "client_secret": {"type": "string"},
                },
            }
        },
        "application/json": {"schema": {"type": "object"}},
    },
}


#: The token endpoint authenticates a client by `Authorization: Basic` or by `client_id` and
#: `client_secret` in the body (or not at all: a public client with PKCE), so Basic is one
#: alternative beside none (`{}`); without it a generated client had no way to send Basic.
TOKEN_SECURITY: list[dict[str, list[str]]] = [{"LwaClientBasic": []}, {}]


def _query(
    name: str, description: str, *, required: bool = False, example: str | None = None
) -> dict[str, object]:
    parameter: dict[str, object] = {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }
    if example is not None:
        parameter["example"] = example
    return parameter


#: `GET /auth/o2/tokeninfo` and `GET /user/profile` read the access token themselves
#: (core.auth.extract_bearer with `allow_query`): from `Authorization` (`Bearer …` or the bare
#: token), `x-amz-access-token` or `?access_token=`, exactly one of them. The header is the
#: LwaBearer scheme; the other two are parameters, so the scheme is one alternative beside none
#: (`{}`): a generated client that knew neither could only send the token it had no place for.
TOKEN_LOCATIONS_OPENAPI: dict[str, object] = {
    "security": [{"LwaBearer": []}, {}],
    "parameters": [
        _query(
            "access_token",
            "The access token, when it is sent neither in `Authorization` nor in `x-amz-access-token` "
            "(a token sent two ways is `invalid_request`).",
        ),
        {
            "name": "x-amz-access-token",
            "in": "header",
            "required": False,
            "description": "The access token, when it is sent neither in `Authorization` nor as "
            "`access_token` (a token sent two ways is `invalid_request`).",
            "schema": {"type": "string"},
        },
    ],
}

_REDIRECT = {
    "description": (
        "Back to the client's redirect_uri (RFC 6749 §4.1.2): with `code` and `state` once the "
        "customer allows, or with `error`, `error_description` and `state` (a bad response_type, "
        "scope or PKCE challenge, or the customer cancels)."
    ),
    "headers": {
        "Location": {
            "description": "The client's redirect_uri with the answer.",
            "schema": {"type": "string"},
        }
    },
}

#: `GET /ap/oa` reads its query itself (authorize.py) to tell which errors go back to the client
#: and which stay on the page (an unknown client or redirect_uri): documented here.
AUTHORIZE_PAGE_OPENAPI: dict[str, object] = {
    "parameters": [
        _query("client_id", "The LWA client (security profile) asking for consent.", required=True),
        _query("redirect_uri", "One of the client's registered redirect URIs.", required=True),
        _query(
            "response_type", "`code`; anything else goes back to redirect_uri as an error.", example="code"
        ),
        _query(
            "scope",
            "Space-separated scopes, e.g. `profile` or `alexa::skills:account_linking`.",
            example="profile",
        ),
        # Not maxLength: a longer state goes back to redirect_uri as invalid_request, not a 400.
        _query("state", f"Echoed back to redirect_uri; at most {MAX_STATE_LENGTH:,} characters."),
        _query("code_challenge", "PKCE (RFC 7636): the challenge of the client's code_verifier."),
        _query("code_challenge_method", "PKCE: `S256` or `plain` (the default).", example="S256"),
    ],
    "responses": {"302": _REDIRECT},
}

#: `POST /ap/oa` is the page's own forms (signed request, CSRF token, session cookie).
AUTHORIZE_FORM_OPENAPI: dict[str, object] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "action": {"type": "string", "enum": ["signin", "consent", "signout"]},
                        "request": {"type": "string", "description": "The signed authorization request."},
                        "csrf_token": {"type": "string", "description": "The CSRF token of the session."},
                        "email": {"type": "string"},
                        "password": {"type": "string"},
                        "decision": {"type": "string", "enum": ["allow", "deny"]},
                    },
                }
            }
        },
    },
    "responses": {"302": _REDIRECT},
}
