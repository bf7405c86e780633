"""Bearer auth for every Amazon API, and the admin key for `/_localexa/`.

- The token may come as `Authorization: Bearer <t>` or as the raw token (ask-cli's legacy SMAPI
  client sends no prefix; spec §6), or, where a route allows it, as `x-amz-access-token` or
  `?access_token=` (LWA profile; spec §3).
- Scopes are declared per route with `require_scopes(...)`; the token's scopes must include one
  of the accepted sets. A refusal is 403 with RFC 6750 §3.1's `insufficient_scope` challenge
  (`insufficient_scope()`, which areas whose own checks refuse a missing scope use too).
- Verification itself belongs to LWA (the token tables); core only knows the `TokenVerifier`
  protocol, which app.py wires to the LWA implementation.
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

from localexa.server.core.errors import BEARER_CHALLENGE, BadRequest, Forbidden, TooManyRequests, Unauthorized
from localexa.server.core.rate_limit import Limiter, caller_of


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's customer (None for client_credentials) and LWA client."""

    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    token_hash: str = field(repr=False)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class TokenVerifier(Protocol):
    async def verify_access_token(self, request: Request, token: str) -> Principal:
        """Return the principal of a live access token; raise Unauthorized otherwise."""
        ...


def extract_bearer(request: Request, *, allow_query: bool = False) -> str | None:
    """The request's access token, or None. A token sent twice, in two Authorization headers or
    two ways where the route allows more than one (header, `x-amz-access-token`, `?access_token=`),
    is a 400 (RFC 6750 §3.1 `invalid_request`): the first one was used silently, so the order of
    two tokens decided between a 200 and a 403 (fault matching treats such a call as naming no
    customer or skill)."""
    headers = request.headers
    header = headers.get("authorization")
    found: list[str] = []
    if header:
        if len(headers.getlist("authorization")) > 1:
            raise BadRequest("The request has more than one Authorization header: send one.")
        value = header.strip()
        scheme, _, rest = value.partition(" ")
        if rest and scheme.lower() == "bearer":
            found.append(rest.strip())
        elif value and not rest and value.lower() != "bearer":
            # A bare token, as ask-cli sends it; `Bearer ` alone (an empty variable in a script)
            # is no token at all, not the token "Bearer".
            found.append(value)
        # Another scheme (`Basic …`, `Digest …`): no bearer token in this header.
    if allow_query:
        # Empty ones count as absent, as an empty `Bearer ` does.
        alternatives = headers.getlist("x-amz-access-token") + request.query_params.getlist("access_token")
        found = [token for token in found if token] + [value for value in alternatives if value.strip()]
        if len(found) > 1:
            raise BadRequest(
                "The access token is sent more than once (Authorization, x-amz-access-token or "
                "access_token): send it one way (RFC 6750 §3.1)."
            )
    return (found[0].strip() or None) if found else None


async def authenticate(request: Request, *, allow_query: bool = False) -> Principal:
    token = extract_bearer(request, allow_query=allow_query)
    if token is None:
        # RFC 6750 §3.1: no credentials at all, so a challenge without an error code (a refused
        # token gets core.errors' `error="invalid_token"` one).
        raise Unauthorized(
            "The request has no access token.",
            code="MISSING_TOKEN",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify_access_token(request, token)
    request.state.principal = principal
    return principal


def insufficient_scope(message: str, scopes: Iterable[str], *, code: str = "INSUFFICIENT_SCOPE") -> Forbidden:
    """A 403 for a token that lacks `scopes`, with RFC 6750 §3.1's challenge naming them, so a
    client learns which scope to ask for. Only for scope refusals: a 403 of another kind (another
    vendor's skill, another region's endpoint) is nothing a token with more scopes would fix."""
    wanted = " ".join(dict.fromkeys(scopes))  # each scope once, in the route's order
    challenge = f'{BEARER_CHALLENGE}, error="insufficient_scope", scope="{wanted}"'
    return Forbidden(message, code=code, headers={"WWW-Authenticate": challenge})


def require_scopes(*accepted: str | tuple[str, ...]) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency accepting a token that holds any one of `accepted` (a scope or a tuple of scopes)."""
    options = [frozenset((a,) if isinstance(a, str) else a) for a in accepted]

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if options and not any(option <= principal.scopes for option in options):
            wanted = " or ".join(" ".join(sorted(o)) for o in options)
            # The challenge lists every accepted scope, as LWA's profile does (lwa/service.py):
            # RFC 6750's `scope` has no "or", and a token holding them all is accepted.
            raise insufficient_scope(
                f"The access token lacks the scope {wanted}.", (s for o in options for s in sorted(o))
            )
        return principal

    return dependency


async def any_token(request: Request) -> Principal:
    return await authenticate(request)


AnyPrincipal = Annotated[Principal, Depends(any_token)]


#: The budget of wrong admin keys per address (core/rate_limit.py SIGN_IN_OPERATIONS).
ADMIN_KEY_OPERATION = "admin.key"


class WrongKeyCallers:
    """The addresses that sent this process a wrong admin key within the last hour (the longest
    window a sign-in budget is likely to name), at most `LIMIT` of them, oldest dropped first."""

    LIMIT = 10_000
    WINDOW_SECONDS = 3600.0

    def __init__(self) -> None:
        self._last: OrderedDict[str, float] = OrderedDict()

    def note(self, caller: str) -> None:
        self._last[caller] = time.monotonic()
        self._last.move_to_end(caller)
        while len(self._last) > self.LIMIT:
            self._last.popitem(last=False)

    def seen(self, caller: str) -> bool:
        last = self._last.get(caller)
        if last is None:
            return False
        if time.monotonic() - last > self.WINDOW_SECONDS:
            del self._last[caller]
            return False
        return True


async def count_wrong_key(request: Request, limiter: Limiter, caller: str) -> int | None:
    """A wrong admin key from `caller` (the header's or the console's sign-in form's): None when
    the budget had room for it, else the seconds to wait (the caller answers 429, not 401).

    Counting is what decides: wrong keys sent at once all passed the budget's check before any
    of them was counted (200 at once got 114 401s of a budget of 100); a count the budget refuses
    is atomic, in memory as in Redis."""
    _wrong_key_callers(request.app.state).note(caller)
    return await limiter.hit(ADMIN_KEY_OPERATION, caller)


def too_many_wrong_keys(wait: int) -> TooManyRequests:
    return TooManyRequests(
        f"Too many wrong admin keys from this address; retry after {wait} s.", retry_after=wait
    )


def _wrong_key_callers(state: Any) -> WrongKeyCallers:
    found: WrongKeyCallers | None = getattr(state, "wrong_key_callers", None)
    if found is None:
        found = state.wrong_key_callers = WrongKeyCallers()
    return found


async def require_admin_key(request: Request) -> None:
    """Every admin call but health needs `X-Localexa-Admin-Key` (admin-api.md).

    Wrong keys count against the address's sign-in budget, with the console's wrong keys (the key
    may be a short one set through LOCALEXA_ADMIN_KEY; the header had no budget but the API's
    6000/minute). Once it is spent no key is checked, the right one included, until it refills:
    otherwise a guess that is right would still tell itself apart by its 200."""
    limiter: Limiter | None = getattr(request.app.state, "rate_limiter", None)
    caller = caller_of(request)
    suspects = _wrong_key_callers(request.app.state)
    # The budget (in Redis with several processes) is read only for an address that sent this
    # process a wrong key lately: every admin call of a test suite paid two Redis round trips.
    # An attacker spreading guesses over processes has one free guess in each.
    if (
        limiter is not None
        and suspects.seen(caller)
        and (wait := await limiter.spent(ADMIN_KEY_OPERATION, caller)) is not None
    ):
        raise too_many_wrong_keys(wait)
    given = request.headers.getlist("x-localexa-admin-key")
    expected: str = request.app.state.admin_key
    # Two keys are no key: the first one counted, so a wrong one after a right one passed.
    if len(given) != 1 or not hmac.compare_digest(given[0].encode(), expected.encode()):
        # A missing or empty header guesses nothing: counted, one misconfigured script on
        # 127.0.0.1 (or a test asserting the 401) locked the CLI out (re-verification).
        if (
            limiter is not None
            and any(value.strip() for value in given)
            and (wait := await count_wrong_key(request, limiter, caller)) is not None
        ):
            raise too_many_wrong_keys(wait)
        raise Unauthorized("A valid X-Localexa-Admin-Key header is required.")


AdminKey = Depends(require_admin_key)
