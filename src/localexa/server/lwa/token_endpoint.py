"""The token endpoint, `POST /auth/o2/token` (RFC 6749 §3.2, §4.1.3, §4.4, §6; RFC 7636 §4.5).

Grants (../shared/spec/alexa-api-surface.md §3):

- `authorization_code`: a code from /ap/oa (`redirect_uri` must equal the one of the
  authorization request, `code_verifier` must match a PKCE challenge) or an AcceptGrant code
  (no `redirect_uri`, exchanged by the skill messaging client). Issues an access and a refresh
  token sharing the code's grant id. A second use refuses and revokes that grant.
- `refresh_token`: a new access token; the same refresh token comes back, as LWA does (never
  rotated, so a public refresh token stays the one the exchange gave).
- `client_credentials`: skill messaging clients only, scopes `alexa:skill_messaging` and
  `alexa::proactive_events`; an `Atc|` access token without a user and without a refresh token,
  answered with the granted `scope` as Amazon's skill messaging page shows.

Client authentication is `client_id`/`client_secret` in the body or HTTP Basic (RFC 6749
§2.3.1), not both with different ids. Public clients (RFC 7636): an authorization code issued
with a PKCE challenge may be exchanged with `client_id` and the correct `code_verifier` but no
secret. Such an exchange gets a refresh token too, stored with `public_client` set, and that
refresh token (only that one) is refreshed with `client_id` alone: a secret, if sent, must be
right, and the token must be the named client's. Any other refresh without a secret is refused
with `invalid_client`, as before public refresh tokens existed.

Amazon's "Authorize an AVS Device Through a Companion App" (developer.amazon.com/docs/alexa/
alexa-voice-service/authorize-companion-app.html): the device "uses this authorization code to
obtain access and refresh tokens from LWA" with its code verifier, never holding the client's
secret; the LWA mobile SDK page of Dash Replenishment (docs/dash/lwa-mobile-sdk.html) describes
the same PKCE companion flow. The refresh request is `grant_type=refresh_token`, `refresh_token`,
`client_id`, with `client_secret` marked "Optional" (Amazon Data Portability, "Use the refresh
token to get new tokens", docs/amazon-data-portability/use-refresh-token.html). That page also
says a request without the secret gets no refresh token back; localexa follows the AVS flow,
where a device without a secret must be able to keep refreshing.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import Clock, as_utc
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import OAuthError, Parts, Sent
from localexa.server.db.integrity import Violation, violation
from localexa.server.lwa import pkce
from localexa.server.lwa.key_confirmation import key_proven
from localexa.server.lwa.models import KIND_GRANT, AuthorizationCode
from localexa.server.lwa.oauth_errors import (
    GrantRevoked,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from localexa.server.lwa.repository import ClientCredentials, LwaRepository, TokenGrant
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
            raise UnsupportedGrantType(Parts.of("The grant_type '", Sent(grant_type), "' is not supported."))
        caller = await self.authenticate(params, basic)
        if grant_type == "authorization_code":
            return await self.authorization_code(params, caller)
        if grant_type == "refresh_token":
            return await self.refresh_token(params, caller)
        if not caller.with_secret:
            raise InvalidClient(f"The {grant_type} grant needs client authentication (client_secret).")
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
        if not self.box.key_confirmed:
            # A presented secret matched a keyed hash: the key is the database's, whatever the
            # grant then answers (lwa/key_confirmation.py); likewise a code or token found below.
            key_proven(self.box, self.repo.session)
        return Caller(client, with_secret=True)

    async def authorization_code(self, params: Mapping[str, str], caller: Caller) -> dict[str, object]:
        code = params.get("code")
        if code is None:
            raise InvalidRequest("The code parameter is required.")
        code_hash = self.box.hash_token(code)
        row = await self.repo.code(code_hash)
        if row is not None and not self.box.key_confirmed:
            key_proven(self.box, self.repo.session)
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
            with_refresh=True,
            # Only a PKCE exchange gets here without the secret (_check_proof), never a grant code.
            public_client=not caller.with_secret,
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

    async def refresh_token(self, params: Mapping[str, str], caller: Caller) -> dict[str, object]:
        client = caller.client
        token = params.get("refresh_token")
        if not token:
            # Said first (RFC 6749 §5.2 invalid_request), with or without the secret: a public
            # client sent without its token was told to authenticate, a secret it does not have.
            raise InvalidRequest("The refresh_token parameter is required.")
        row = await self.repo.token_grant(self.box.hash_token(token))
        if row is not None and not self.box.key_confirmed:
            key_proven(self.box, self.repo.session)
        if not caller.with_secret and not _refreshable_by_id(row, client.client_id):
            # Without the secret only the named client's own public refresh token goes on; any
            # other request is refused as it was before public refresh tokens existed, whether its
            # token is unknown, confidential or another client's.
            raise InvalidClient("The refresh_token grant needs client authentication (client_secret).")
        if row is None or row.kind != "refresh" or row.revoked:
            if row is None and await self.repo.client_credentials(client.client_id) is None:
                # The refresh token is read FOR SHARE (lwa/repository.py): a reset deleting the
                # client with its tokens made this read wait, and the client is gone now; a request
                # made a moment later gets invalid_client, so this one does too.
                raise InvalidClient("Client authentication failed: unknown client.")
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
            public_client=row.public_client,  # the access row says which kind of grant it came from
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
            raise InvalidScope(
                Parts.of(
                    "The scope '", Sent(" ".join(unknown)), "' is not available with client_credentials."
                )
            )
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
        public_client: bool = False,
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
                public_client=public_client,
            )
        except IntegrityError as exc:
            if violation(exc) is not Violation.FOREIGN_KEY:
                raise
            await self.repo.session.rollback()  # the failed INSERT ended the transaction
            if await self.repo.client_credentials(client_id) is None:
                raise InvalidClient("Client authentication failed: unknown client.") from exc
            raise refused from exc


def _refreshable_by_id(row: TokenGrant | None, client_id: str) -> bool:
    """Whether `row` is a refresh token a public PKCE exchange issued to `client_id` (revoked or
    not: a revoked one then gets `invalid_grant`, which tells the app to sign the customer in again)."""
    return row is not None and row.kind == "refresh" and row.public_client and row.client_id == client_id
