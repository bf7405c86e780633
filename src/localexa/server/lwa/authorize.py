"""The rules of `/ap/oa`: validate the authorization request, sign the customer in, record consent.

RFC 6749 §4.1.1-§4.1.2 and the LWA authorization-code-grant page (spec §3): `client_id`,
`scope` (space-separated), `response_type=code`, `redirect_uri`, `state`, `code_challenge`,
`code_challenge_method` (`S256` or `plain`, `plain` by default, RFC 7636 §4.3).

`state` goes back exactly as the client sent it (RFC 6749 §4.1.2): its octets are read from the
raw query string, since the decoded query turns escapes that are not UTF-8 (`%FF%FE`) into
U+FFFD, and they travel between the pages percent-encoded (`AuthorizeRequest.state`).

Errors follow RFC 6749 §4.1.2.1: an unknown client or a `redirect_uri` the client did not
register is shown on an error page (`AuthorizePageError`) and never redirected, since the target
cannot be trusted; every later error redirects to `redirect_uri` with `error`,
`error_description` and `state` (`AuthorizeRedirect`). The pages themselves (HTML, cookies,
CSRF) belong to routes.py and signing.py; this module never sees HTTP.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest, OAuthError, Parts, Sent, description_text
from localexa.server.lwa import pkce
from localexa.server.lwa.grants import KIND_LWA, store_code
from localexa.server.lwa.models import Customer, LwaClient
from localexa.server.lwa.registry import is_alexa_client
from localexa.server.lwa.repository import LwaRepository
from localexa.server.lwa.schemas import MAX_STATE_LENGTH, check_redirect_uri
from localexa.server.lwa.scopes import (
    ACCOUNT_LINKING,
    ALEXA_CLIENT_SCOPES,
    CLIENT_CREDENTIALS_SCOPES,
    authorize_scope_description,
    split_scopes,
)

_dummy_hashes: WeakKeyDictionary[SecretBox, str] = WeakKeyDictionary()
#: What `quote_state` emits: a signed page request holding anything else is refused as damaged.
_QUOTED_STATE = re.compile(r"[A-Za-z0-9_.~%-]*")


def quote_state(octets: bytes) -> str:
    """The state's octets as they go into the redirect's query: every octet but the unreserved
    ones percent-encoded, as `urlencode(..., quote_via=quote)` encodes the other parameters."""
    return quote(octets, safe="")


def raw_states(query_string: bytes) -> list[bytes]:
    """The octets of every non-empty `state` of a raw query string, percent-decoded (`+` is a
    space) but not decoded as text: what the client sent, whatever its encoding."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return [value.encode("latin-1") for name, value in pairs if name == "state" and value != ""]


@dataclass(frozen=True)
class AuthorizeRequest:
    """A validated authorization request, as carried (signed) between the pages."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    #: The client's state, percent-encoded (`quote_state`): its octets, not its decoded text.
    state: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "c": self.client_id,
            "r": self.redirect_uri,
            "s": list(self.scopes),
            "sq": self.state,
            "cc": self.code_challenge,
            "cm": self.code_challenge_method,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthorizeRequest:
        state = data.get("sq")
        if state is None and isinstance(data.get("st"), str):  # a page signed before "sq"
            state = quote_state(data["st"].encode("utf-8", "surrogatepass"))
        if state is not None and not (isinstance(state, str) and _QUOTED_STATE.fullmatch(state)):
            raise TypeError("state is not percent-encoded")
        return cls(
            client_id=str(data["c"]),
            redirect_uri=str(data["r"]),
            scopes=tuple(str(s) for s in data["s"]),
            state=state,
            code_challenge=data.get("cc"),
            code_challenge_method=data.get("cm"),
        )


class AuthorizePageError(BadRequest):
    """Shown to the customer on an error page with status 400; never redirected."""

    def __init__(self, message: str, *, title: str = "This sign-in request cannot be completed") -> None:
        super().__init__(message)
        self.title = title


class AuthorizeRedirect(OAuthError):
    """An RFC 6749 §4.1.2.1 error sent back to the client's registered `redirect_uri`."""

    def __init__(self, redirect_uri: str, state: str | None, code: str, description: str | Parts) -> None:
        """`state`: percent-encoded (`AuthorizeRequest.state`)."""
        told = description_text(description)
        super().__init__(code, told)
        params = [("error", code), ("error_description", told)]
        self.location = redirect_with(redirect_uri, params, state=state)


def redirect_with(uri: str, params: Iterable[tuple[str, str]], *, state: str | None = None) -> str:
    """`uri` with `params` appended, then `state` (already percent-encoded, so its octets come
    back as they were sent), keeping the URI's own query as RFC 6749 §3.1.2 requires."""
    query = urlencode(list(params), quote_via=quote)
    if state is not None:
        query += f"&state={state}"
    if not urlsplit(uri).query:
        return f"{uri.rstrip('?')}?{query}"
    return f"{uri}&{query}"


@dataclass(frozen=True)
class ScopeView:
    scope: str
    description: str


#: The parameters /ap/oa reads (RFC 6749 §4.1.1, RFC 7636 §4.3).
AUTHORIZE_PARAMETERS = frozenset(
    {
        "client_id",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    }
)


class AuthorizeService:
    def __init__(self, session: AsyncSession, box: SecretBox, clock: Clock) -> None:
        self.session = session
        self.repo = LwaRepository(session)
        self.box = box
        self.clock = clock

    async def validate(
        self, query: Iterable[tuple[str, str]], query_string: bytes | None = None
    ) -> tuple[AuthorizeRequest, LwaClient]:
        """Check a GET /ap/oa query (decoded, and the raw `query_string` it was decoded from, which
        holds the octets of `state`); raises AuthorizePageError or AuthorizeRedirect."""
        values: dict[str, list[str]] = {}
        for name, value in query:
            if value != "":  # RFC 6749 §3.1: a parameter without a value counts as omitted
                values.setdefault(name, []).append(value)
        for name in ("client_id", "redirect_uri"):
            if len(values.get(name, [])) > 1:
                raise AuthorizePageError(f"The parameter {name} appears more than once.")
        client_id = values.get("client_id", [None])[0]
        redirect_uri = values.get("redirect_uri", [None])[0]
        client = await self._client_and_redirect(client_id, redirect_uri)
        assert redirect_uri is not None
        states = values.get("state", [])
        state: str | None = None
        if len(states) == 1:
            octets = raw_states(query_string) if query_string is not None else []
            state = quote_state(octets[0] if len(octets) == 1 else states[0].encode("utf-8", "surrogatepass"))

        def fail(code: str, description: str | Parts) -> AuthorizeRedirect:
            return AuthorizeRedirect(redirect_uri, state, code, description)

        # Only what /ap/oa reads may not repeat: others are ignored (RFC 6749 §3.1, RFC 8707's
        # several `resource` parameters).
        repeated = [name for name, vals in values.items() if len(vals) > 1 and name in AUTHORIZE_PARAMETERS]
        if repeated:
            raise fail("invalid_request", f"The parameter {repeated[0]} appears more than once.")
        if states and len(states[0]) > MAX_STATE_LENGTH:
            # Not echoed: the refusal would carry the very value it refuses.
            description = f"state is longer than {MAX_STATE_LENGTH} characters."
            raise AuthorizeRedirect(redirect_uri, None, "invalid_request", description)
        response_type = values.get("response_type", [None])[0]
        if response_type is None:
            raise fail("invalid_request", "The response_type parameter is required.")
        if response_type != "code":
            raise fail(
                "unsupported_response_type",
                Parts.of("response_type '", Sent(response_type), "' is not supported; use code."),
            )
        if client.skill_id is not None:
            raise fail("unauthorized_client", "A skill messaging client cannot ask customers for consent.")
        scopes = split_scopes(values.get("scope", [None])[0])
        if not scopes:  # RFC 6749 §3.3: no default scope, so the request fails as invalid_scope
            raise fail("invalid_scope", "The scope parameter is required.")
        alexa_client = is_alexa_client(client)
        for scope in scopes:
            if scope in CLIENT_CREDENTIALS_SCOPES:
                raise fail("invalid_scope", f"The scope {scope} is only available with client_credentials.")
            if authorize_scope_description(scope) is None:
                raise fail("invalid_scope", Parts.of("The scope '", Sent(scope), "' is not known."))
            if alexa_client and scope not in ALEXA_CLIENT_SCOPES:
                raise fail(
                    "invalid_scope",
                    f"A skill's Alexa client may ask only for {ACCOUNT_LINKING}, not {scope}.",
                )
        challenge = values.get("code_challenge", [None])[0]
        method = values.get("code_challenge_method", [None])[0]
        if challenge is None and method is not None:
            raise fail("invalid_request", "code_challenge_method was given without code_challenge.")
        if challenge is not None:
            method = method or pkce.DEFAULT_METHOD
            if method not in pkce.METHODS:
                raise fail(
                    "invalid_request",
                    Parts.of("code_challenge_method '", Sent(method), "' is not supported (S256, plain)."),
                )
            if not pkce.valid_challenge(challenge, method):
                raise fail("invalid_request", "code_challenge is not a valid RFC 7636 challenge.")
        request = AuthorizeRequest(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            code_challenge=challenge,
            code_challenge_method=method if challenge is not None else None,
        )
        return request, client

    async def _client_and_redirect(self, client_id: str | None, redirect_uri: str | None) -> LwaClient:
        if client_id is None:
            raise AuthorizePageError("The request does not name the application (client_id is missing).")
        client = await self.repo.client(client_id)
        if client is None:
            raise AuthorizePageError(f"There is no application with the client_id {client_id}.")
        if redirect_uri is None:
            raise AuthorizePageError("The request has no redirect_uri.")
        if redirect_uri not in client.redirect_uris:
            raise AuthorizePageError(
                f"The redirect_uri {redirect_uri} is not registered for the application {client.name}."
            )
        try:
            # Registered before today's rules (a restored snapshot, an older data dir): never sent to.
            check_redirect_uri(redirect_uri, "redirect_uri")
        except ValueError as exc:
            raise AuthorizePageError(str(exc)) from None
        return client

    async def resume(self, data: dict[str, Any] | None) -> tuple[AuthorizeRequest, LwaClient]:
        """The request a page carried (already signed and aged by the caller), checked again:
        the client or its redirect URI may have gone since the first page."""
        if data is None:
            raise AuthorizePageError(
                "This sign-in page has expired or was changed. Go back to the application and start again.",
                title="Sign-in page expired",
            )
        try:
            request = AuthorizeRequest.from_dict(data)
        except (KeyError, TypeError):
            raise AuthorizePageError("The sign-in form is damaged. Start again.") from None
        client = await self._client_and_redirect(request.client_id, request.redirect_uri)
        return request, client

    async def sign_in(self, email: str, password: str) -> Customer | None:
        """The customer with this email and password, or None. The slow hash runs in a thread,
        and also for unknown emails, so the answer time does not tell which emails exist."""
        customer = await self.repo.customer_by_email(email.strip().lower()) if email.strip() else None
        stored = customer.password_hash if customer is not None else self._dummy_hash()
        ok = await asyncio.to_thread(SecretBox.verify_password, password, stored)
        return customer if ok and customer is not None else None

    def _dummy_hash(self) -> str:
        if self.box not in _dummy_hashes:
            _dummy_hashes[self.box] = self.box.hash_password("localexa-no-such-customer")
        return _dummy_hashes[self.box]

    async def customer(self, user_id: str | None) -> Customer | None:
        return await self.repo.customer(user_id) if user_id else None

    @staticmethod
    def scope_views(request: AuthorizeRequest) -> list[ScopeView]:
        return [ScopeView(s, authorize_scope_description(s) or s) for s in request.scopes]

    async def approve(self, request: AuthorizeRequest, customer: Customer) -> str:
        """Issue the code (valid 5 minutes, once) and return where to send the browser."""
        code = await store_code(
            self.session,
            self.box,
            self.clock,
            kind=KIND_LWA,
            client_id=request.client_id,
            user_id=customer.id,
            scopes=request.scopes,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
        )
        params = [("code", code), ("scope", " ".join(request.scopes))]
        return redirect_with(request.redirect_uri, params, state=request.state)

    @staticmethod
    def deny(request: AuthorizeRequest) -> str:
        return AuthorizeRedirect(
            request.redirect_uri, request.state, "access_denied", "The customer declined the request."
        ).location
