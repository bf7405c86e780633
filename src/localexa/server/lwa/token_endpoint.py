"""The token endpoint, `POST /auth/o2/token` (RFC 6749 §3.2, §4.1.3, §4.4, §6; RFC 7636 §4.5).

Grants (../shared/spec/alexa-api-surface.md §3):

- `authorization_code`: a code from /ap/oa (`redirect_uri` must equal the one of the
  authorization request, `code_verifier` must match a PKCE challenge) or an AcceptGrant code
  (no `redirect_uri`, exchanged by the skill messaging client). Issues an access and a refresh
  token sharing the code's grant id. A second use refuses and revokes that grant.
- `refresh_token`: a new access token; the same refresh token comes back, as LWA does.
- `client_credentials`: skill messaging clients only, scopes `alexa:skill_messaging` and
  `alexa::proactive_events`; an `Atc|` access token without a user and without a refresh token,
  answered with the granted `scope` as Amazon's skill messaging page shows.

Client authentication is `client_id`/`client_secret` in the body or HTTP Basic (RFC 6749
§2.3.1), not both with different ids. Public clients (RFC 7636): an authorization code issued
with a PKCE challenge may be exchanged with `client_id` and the correct `code_verifier` but no
secret, as LWA documents for browser apps. Such an exchange gets an access token only: every
localexa client holds a secret, and refreshing needs it (RFC 6749 §6, §10.4), so a refresh token
handed to a caller that cannot use it would only be a liability.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import Clock, as_utc
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import OAuthError
from localexa.server.db.integrity import Violation, violation
from localexa.server.lwa import pkce
from localexa.server.lwa.grants import KIND_GRANT
from localexa.server.lwa.models import AuthorizationCode
from localexa.server.lwa.oauth_errors import (
    GrantRevoked,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from localexa.server.lwa.repository import ClientCredentials, LwaRepository
from localexa.server.lwa.scopes import CLIENT_CREDENTIALS_SCOPES, split_scopes
from localexa.server.lwa.tokens import (
    ACCESS_PREFIX,
    CLIENT_ACCESS_PREFIX,
    IssuedTokens,
    TokenIssuer,
    new_grant_id,
)

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


@dataclass(frozen=True)
class Caller:
    """The client a token request comes from; `with_secret` is False for a public PKCE client."""

    client: ClientCredentials
    with_secret: bool


class TokenEndpoint:
    def __init__(self, session: AsyncSession, box: SecretBox, clock: Clock) -> None:
        self.repo = LwaRepository(session)
        self.issuer = TokenIssuer(session, box, clock)
        self.box = box
        self.clock = clock

    async def handle(self, params: Mapping[str, str], basic: tuple[str, str] | None) -> dict[str, object]:
        """The RFC 6749 §5.1 body for a valid request; raises an OAuthError otherwise."""
        grant_type = params.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("The grant_type parameter is required.")
        if grant_type not in GRANT_TYPES:
            raise UnsupportedGrantType(f"The grant_type {grant_type!r} is not supported.")
        caller = await self.authenticate(params, basic)
        if grant_type == "authorization_code":
            return await self.authorization_code(params, caller)
        if not caller.with_secret:
            raise InvalidClient(f"The {grant_type} grant needs client authentication (client_secret).")
        if grant_type == "refresh_token":
            return await self.refresh_token(params, caller.client)
        return await self.client_credentials(params, caller.client)

    async def authenticate(self, params: Mapping[str, str], basic: tuple[str, str] | None) -> Caller:
        """RFC 6749 §2.3.1; a request without a secret is left to the grant to accept or refuse."""
        client_id, secret = params.get("client_id"), params.get("client_secret")
        if basic is not None:
            basic_id, basic_secret = basic
            if client_id is not None and client_id != basic_id:
                raise InvalidRequest(
                    "client_id in the body differs from the one in the Authorization header."
                )
            if secret is not None and not hmac.compare_digest(secret.encode(), basic_secret.encode()):
                raise InvalidRequest("The client authenticated twice (Authorization header and body).")
            client_id, secret = basic_id, basic_secret or None
        if client_id is None:
            raise InvalidClient("The request does not name the client (client_id or HTTP Basic).")
        client = await self.repo.client_credentials(client_id)
        if client is None:
            raise InvalidClient("Client authentication failed: unknown client.")
        if secret is None:
            return Caller(client, with_secret=False)
        if not self.box.verify_token(secret, client.secret_hash):
            raise InvalidClient("Client authentication failed: wrong client secret.")
        return Caller(client, with_secret=True)

    async def authorization_code(self, params: Mapping[str, str], caller: Caller) -> dict[str, object]:
        code = params.get("code")
        if code is None:
            raise InvalidRequest("The code parameter is required.")
        code_hash = self.box.hash_token(code)
        row = await self.repo.code(code_hash)
        if row is None or row.client_id != caller.client.client_id:
            raise InvalidGrant("The authorization code is not valid.")
        # Prove the caller before anything else, so nobody without the secret or the verifier can
        # learn about the code or trigger the replay revocation below.
        self._check_proof(row, params.get("code_verifier"), caller)
        now = self.clock.now()
        if row.used_at is not None or not await self.repo.claim_code(code_hash, now):
            await self.repo.revoke_grant(row.grant_id)
            raise GrantRevoked(
                "The authorization code was already used; the tokens issued for it are revoked."
            )
        if as_utc(row.expires_at) <= now:
            raise InvalidGrant("The authorization code has expired.")
        if row.kind != KIND_GRANT:
            redirect_uri = params.get("redirect_uri")
            if redirect_uri is None:
                raise InvalidRequest("redirect_uri is required: the authorization request had one.")
            if redirect_uri != row.redirect_uri:
                raise InvalidGrant("redirect_uri does not match the one of the authorization request.")
        issued = await self._issue(
            InvalidGrant("The authorization code is not valid."),
            client_id=row.client_id,
            user_id=row.user_id,
            scopes=split_scopes(row.scopes),
            grant_id=row.grant_id,
            with_refresh=caller.with_secret,
        )
        return issued.as_response()

    @staticmethod
    def _check_proof(row: AuthorizationCode, verifier: str | None, caller: Caller) -> None:
        if row.code_challenge is not None:
            if verifier is None:
                raise InvalidGrant("code_verifier is required: the authorization request used PKCE.")
            method = row.code_challenge_method or pkce.DEFAULT_METHOD
            if not pkce.verify(verifier, row.code_challenge, method):
                raise InvalidGrant("code_verifier does not match the code_challenge.")
        elif verifier is not None:
            # OAuth 2.1 §4.1.3: refuse a verifier the authorization request did not announce.
            raise InvalidGrant("code_verifier was sent but the authorization request had no code_challenge.")
        elif not caller.with_secret:
            raise InvalidClient("client_secret is required unless the authorization request used PKCE.")

    async def refresh_token(self, params: Mapping[str, str], client: ClientCredentials) -> dict[str, object]:
        token = params.get("refresh_token")
        if token is None:
            raise InvalidRequest("The refresh_token parameter is required.")
        row = await self.repo.token_grant(self.box.hash_token(token))
        if row is None or row.kind != "refresh" or row.revoked:
            raise InvalidGrant("The refresh token is not valid.")
        if row.client_id != client.client_id:
            raise InvalidGrant("The refresh token was issued to another client.")
        granted = split_scopes(row.scopes)
        scopes = granted
        if "scope" in params:
            # RFC 6749 §6: a narrower scope may be asked for, never a wider one.
            scopes = split_scopes(params["scope"])
            if not scopes:  # RFC 6749 §3.3: one scope-token at least, as at /ap/oa
                raise InvalidScope("The scope parameter is empty.")
            if not set(scopes) <= set(granted):
                raise InvalidScope("The scope is wider than the one the refresh token was granted.")
        issued = await self._issue(
            InvalidGrant("The refresh token is not valid."),
            client_id=client.client_id,
            user_id=row.user_id,
            scopes=scopes,
            grant_id=row.grant_id,
            with_refresh=False,
        )
        body = issued.as_response()
        body["refresh_token"] = token
        return body

    async def client_credentials(
        self, params: Mapping[str, str], client: ClientCredentials
    ) -> dict[str, object]:
        if client.skill_id is None:
            raise UnauthorizedClient("Only a skill messaging client may use the client_credentials grant.")
        scopes = split_scopes(params.get("scope"))
        if not scopes:
            raise InvalidScope("The scope parameter is required (alexa:skill_messaging).")
        unknown = [s for s in scopes if s not in CLIENT_CREDENTIALS_SCOPES]
        if unknown:
            raise InvalidScope(f"The scope {' '.join(unknown)} is not available with client_credentials.")
        issued = await self._issue(
            InvalidClient("Client authentication failed: unknown client."),
            client_id=client.client_id,
            user_id=None,
            scopes=scopes,
            grant_id=new_grant_id(),
            with_refresh=False,
            access_prefix=CLIENT_ACCESS_PREFIX,
        )
        return issued.as_response(with_scope=True)

    async def _issue(
        self,
        refused: OAuthError,
        *,
        client_id: str,
        user_id: str | None,
        scopes: list[str] | tuple[str, ...],
        grant_id: str,
        with_refresh: bool,
        access_prefix: str = ACCESS_PREFIX,
    ) -> IssuedTokens:
        """Issue tokens, or refuse as a request made a moment later would be: the client or the
        customer was deleted (a reset, a restore, another call) after this request read them.
        That was a 404 "deleted while it ran" from core/error_handlers.py, a status the token endpoint
        never answers (RFC 6749 §5.2); a later request gets `invalid_client` when the client is
        gone, else `refused` (the code or refresh token went with the customer)."""
        try:
            return await self.issuer.issue(
                client_id=client_id,
                user_id=user_id,
                scopes=scopes,
                grant_id=grant_id,
                with_refresh=with_refresh,
                access_prefix=access_prefix,
            )
        except IntegrityError as exc:
            if violation(exc) is not Violation.FOREIGN_KEY:
                raise
            await self.repo.session.rollback()  # the failed INSERT ended the transaction
            if await self.repo.client_credentials(client_id) is None:
                raise InvalidClient("Client authentication failed: unknown client.") from exc
            raise refused from exc
