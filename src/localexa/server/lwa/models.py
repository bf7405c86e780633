"""Login with Amazon tables: customers (Amazon accounts), LWA clients, codes, tokens, consents.

No token, code or client secret is stored in clear: `*_hash` columns hold keyed hashes
(core.crypto.SecretBox.hash_token). The secrets of a skill's own two clients are also sealed,
because they are shown again: its messaging client's (Skill Credentials) and its Alexa client's
(the admin API, as Amazon's console shows it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from localexa.server.db.base import Base


class Customer(Base):
    """An Amazon account: signs in at /ap/oa, owns vendors as a developer, enables skills."""

    __tablename__ = "customers"
    #: Newest-first pages (the console, the admin listing): read in order, not sorted (0013).
    __table_args__ = (Index("ix_customers_created_at", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # amzn1.account.…
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    region: Mapped[str] = mapped_column(String(2))  # NA | EU | FE
    postal_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LwaClient(Base):
    """A Security Profile: an app's client, a skill's messaging client (`skill_id` set), or a
    skill's Alexa client for app-to-app account linking (`skills.alexa_client_id` names it;
    `skill_id` None, secret sealed: lwa/registry.py `is_alexa_client`)."""

    __tablename__ = "lwa_clients"
    __table_args__ = (Index("ix_lwa_clients_created_at", "created_at", "client_id"),)

    client_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    #: Sealed secret, only for a skill's messaging and Alexa clients (shown again).
    secret_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    skill_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


KIND_GRANT = "grant"


class AuthorizationCode(Base):
    """A one-time code from /ap/oa (kind `lwa`) or from an AcceptGrant (kind `grant`)."""

    __tablename__ = "lwa_authorization_codes"
    #: The deletes' ON DELETE CASCADE finds a client's and a customer's codes by them (0013).
    __table_args__ = (
        Index("ix_lwa_authorization_codes_client_id", "client_id"),
        Index("ix_lwa_authorization_codes_user_id", "user_id"),
    )

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="lwa")
    client_id: Mapped[str] = mapped_column(ForeignKey("lwa_clients.client_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    scopes: Mapped[str] = mapped_column(Text)  # space-separated
    code_challenge: Mapped[str | None] = mapped_column(String(256), nullable=True)
    code_challenge_method: Mapped[str | None] = mapped_column(String(8), nullable=True)
    #: Indexed for the sweep of expired codes (lwa/expired.py).
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: Tokens issued from this code share this grant id, so a replayed code revokes them all.
    grant_id: Mapped[str] = mapped_column(String(64))
    #: For grant codes: the skill the grant belongs to.
    skill_id: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Token(Base):
    """An access (`Atza|`), refresh (`Atzr|`) or client_credentials access (`Atc|`, no `user_id`)
    token."""

    __tablename__ = "lwa_tokens"
    __table_args__ = (
        Index("ix_lwa_tokens_grant_id", "grant_id"),
        # The sweep of expired access tokens (lwa/expired.py); refresh tokens have none (NULL).
        Index("ix_lwa_tokens_expires_at", "expires_at"),
        # The sweep of revoked tokens (lwa/expired.py). Partial in the database (migration
        # 0012_revoked_at: `WHERE revoked_at IS NOT NULL`), so issuing a token (the hot path)
        # writes no entry of it. Not declared here: `sqlite_where` and `postgresql_where` load
        # both SQL dialects at import, in every process (as directives/models.py).
        Index("ix_lwa_tokens_revoked_at", "revoked_at"),
        # A client's delete (its skill's) cascades to its tokens through this one (0013).
        Index("ix_lwa_tokens_client_id", "client_id"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # access | refresh
    client_id: Mapped[str] = mapped_column(ForeignKey("lwa_clients.client_id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), nullable=True, index=True
    )
    scopes: Mapped[str] = mapped_column(Text)
    grant_id: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When it was revoked, by localexa's clock (set with `revoked`; NULL while it is not): the
    #: sweep deletes it a day later (lwa/expired.py). Rows revoked before migration 0012 carry
    #: the migration's time.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: Issued to a public client (a PKCE exchange without the client's secret): a refresh token
    #: so marked is refreshed with client_id alone.
    public_client: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
