"""Login with Amazon wire models (spec alexa-api-surface.md §3; RFC 6749 §5.1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from localexa.client.types._base import SnakeModel

__all__ = ["AuthorizationRequest", "Profile", "TokenInfo", "TokenResponse"]


class TokenResponse(SnakeModel):
    """`POST /auth/o2/token` 200 (also `POST /_localexa/tokens` 201)."""

    access_token: str = Field(repr=False)
    token_type: str = "bearer"
    expires_in: int | None = None
    refresh_token: str | None = Field(default=None, repr=False)
    scope: str | None = None


class TokenInfo(SnakeModel):
    """`GET /auth/o2/tokeninfo`: `aud` is the client the token was issued to."""

    aud: str
    iss: str | None = None
    user_id: str | None = None
    app_id: str | None = None
    exp: int | None = None
    iat: int | None = None
    scope: str | None = None


class Profile(SnakeModel):
    """`GET /user/profile`: fields depend on the token's scopes (`profile`, `profile:user_id`, ...)."""

    user_id: str
    name: str | None = None
    email: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class AuthorizationRequest:
    """An LWA authorization URL and what the app must keep until the redirect comes back."""

    url: str
    state: str
    #: PKCE verifier (RFC 7636); send it with the code exchange. None when PKCE is off.
    code_verifier: str | None = field(default=None, repr=False)
