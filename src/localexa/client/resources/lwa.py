"""Login with Amazon: authorization URL with PKCE, the token grants, tokeninfo and profile.

Spec alexa-api-surface.md §3 and the LWA access-token docs it cites. Client authentication is sent
in the form (`client_id`, `client_secret`), which LWA accepts beside HTTP Basic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from localexa.client._async import AsyncResource, async_method
from localexa.client._core import ApiRequest, AuthMode, Flow, ResourceBase, call, parse_model
from localexa.client._endpoints import Service
from localexa.client._sync import SyncResource, sync_method
from localexa.client.auth import LwaTokenAuth
from localexa.client.pkce import build_authorization_url
from localexa.client.types.lwa import AuthorizationRequest, Profile, TokenInfo, TokenResponse

__all__ = ["AsyncLwa", "Lwa"]

TOKEN_PATH = "/auth/o2/token"


def _grant(form: Mapping[str, str | None], *, idempotent: bool) -> Flow[TokenResponse]:
    response = yield from call(
        ApiRequest(
            "POST", TOKEN_PATH, service=Service.LWA, form=form, auth=AuthMode.NONE, idempotent=idempotent
        )
    )
    return parse_model(response, TokenResponse)


def exchange_code(
    code: str,
    *,
    redirect_uri: str | None,
    client_id: str,
    client_secret: str | None = None,
    code_verifier: str | None = None,
) -> Flow[TokenResponse]:
    """Authorization code grant (RFC 6749 §4.1.3, PKCE RFC 7636 §4.5). A code is single-use: never retried."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret": client_secret,
        "code_verifier": code_verifier,
    }
    return (yield from _grant(form, idempotent=False))


def refresh(refresh_token: str, *, client_id: str, client_secret: str | None = None) -> Flow[TokenResponse]:
    """Refresh grant (RFC 6749 §6); safe to repeat, so retried on 429/500/502/503/504."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    return (yield from _grant(form, idempotent=True))


def client_credentials(
    *, scope: str | Iterable[str], client_id: str, client_secret: str
) -> Flow[TokenResponse]:
    """Client credentials grant (RFC 6749 §4.4), e.g. scope `alexa:skill_messaging`."""
    form = {
        "grant_type": "client_credentials",
        "scope": scope if isinstance(scope, str) else " ".join(scope),
        "client_id": client_id,
        "client_secret": client_secret,
    }
    return (yield from _grant(form, idempotent=True))


def token_info(access_token: str) -> Flow[TokenInfo]:
    """`GET /auth/o2/tokeninfo?access_token=`: who the token was issued to (`aud`)."""
    response = yield from call(
        ApiRequest(
            "GET",
            "/auth/o2/tokeninfo",
            service=Service.LWA,
            params={"access_token": access_token},
            auth=AuthMode.NONE,
        )
    )
    return parse_model(response, TokenInfo)


def profile(access_token: str) -> Flow[Profile]:
    """`GET /user/profile` with the customer's token (scopes `profile`, `profile:user_id`, ...)."""
    response = yield from call(ApiRequest("GET", "/user/profile", service=Service.LWA, token=access_token))
    return parse_model(response, Profile)


class _LwaHelpers(ResourceBase):
    """The parts of LWA that need no I/O, shared by the sync and async resources."""

    def authorization_url(
        self,
        *,
        client_id: str,
        scope: str | Iterable[str],
        redirect_uri: str,
        state: str | None = None,
        pkce: bool = True,
        code_verifier: str | None = None,
    ) -> AuthorizationRequest:
        """The `/ap/oa` URL to send the customer to, with a fresh `state` and PKCE S256 challenge."""
        return build_authorization_url(
            self._core.endpoints.authorize,
            client_id=client_id,
            scope=scope,
            redirect_uri=redirect_uri,
            state=state,
            pkce=pkce,
            code_verifier=code_verifier,
        )

    def token_auth(
        self,
        *,
        client_id: str,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        scope: str | Iterable[str] | None = None,
        token: TokenResponse | None = None,
        on_refresh: Callable[[TokenResponse], None] | None = None,
    ) -> LwaTokenAuth:
        """An `httpx.Auth` that refreshes at this client's LWA host, with this client's retry policy.

        Give `refresh_token` (or a `token` from a code exchange) to refresh, or `scope` to use the
        client credentials grant.
        """
        scopes = scope if scope is None or isinstance(scope, str) else " ".join(scope)
        token_url = self._core.endpoints.lwa + TOKEN_PATH
        if token is not None:
            return LwaTokenAuth.from_token(
                token,
                client_id=client_id,
                client_secret=client_secret,
                scope=scopes,
                token_url=token_url,
                retry=self._core.retry,
                on_refresh=on_refresh,
            )
        return LwaTokenAuth(
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
            scope=scopes,
            token_url=token_url,
            retry=self._core.retry,
            on_refresh=on_refresh,
        )


class Lwa(SyncResource, _LwaHelpers):
    """`client.lwa`: Login with Amazon."""

    exchange_code = sync_method(exchange_code)
    refresh = sync_method(refresh)
    client_credentials = sync_method(client_credentials)
    token_info = sync_method(token_info)
    profile = sync_method(profile)


class AsyncLwa(AsyncResource, _LwaHelpers):
    """`client.lwa` of `AsyncClient`."""

    exchange_code = async_method(exchange_code)
    refresh = async_method(refresh)
    client_credentials = async_method(client_credentials)
    token_info = async_method(token_info)
    profile = async_method(profile)
