"""Wire shapes of Login with Amazon. LWA speaks snake_case (RFC 6749 §5), so no camelCase here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 as LWA sends it (access-token doc)."""

    access_token: str = Field(examples=["Atza|IwEB…"])
    refresh_token: str | None = Field(default=None, examples=["Atzr|IwEB…"])
    token_type: Literal["bearer"] = "bearer"
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
