"""My Lights' OAuth 2.0 authorization server state and rules (RFC 6749 §4.1 code grant, §6
refresh, RFC 7636 PKCE, RFC 7662 introspection).

Codes live `code_ttl` seconds and work once; replaying one revokes the tokens it produced
(RFC 6749 §4.1.2). Tokens are random and kept only as SHA-256 hashes. Refresh tokens do not
rotate and never expire unless revoked.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from localexa.samples.mylights.config import MyLightsConfig
from localexa.skill.tokens import TokenCheck

VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 §4.1
PKCE_METHODS = ("S256", "plain")


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: `error` code, description, HTTP status (401 for invalid_client)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class TokenPair:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    scope: str

    def to_json(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
        }


@dataclass
class _Code:
    user: str
    client_id: str
    redirect_uri: str | None
    scope: str
    challenge: str | None
    method: str | None
    expires_at: datetime
    used: bool = False
    issued: list[str] = field(default_factory=list)  # hashes of tokens minted from this code


@dataclass
class _Token:
    user: str
    client_id: str
    scope: str
    issued_at: datetime
    expires_at: datetime | None  # None: a refresh token
    revoked: bool = False
    refresh_hash: str | None = None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636 §4.6: S256 compares BASE64URL(SHA256(verifier)) without padding."""
    if method == "S256":
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    else:
        computed = verifier
    return secrets.compare_digest(computed, challenge)


class AuthorizationServer:
    def __init__(self, config: MyLightsConfig, now: Callable[[], datetime]) -> None:
        self.config = config
        self._now = now
        self._codes: dict[str, _Code] = {}
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()

    def authenticate_client(self, client_id: str, client_secret: str) -> None:
        ok_id = secrets.compare_digest(client_id.encode(), self.config.client_id.encode())
        ok_secret = secrets.compare_digest(client_secret.encode(), self.config.client_secret.encode())
        if not (ok_id and ok_secret):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)

    def issue_code(
        self,
        user: str,
        client_id: str,
        redirect_uri: str | None,
        scope: str,
        challenge: str | None = None,
        method: str | None = None,
    ) -> str:
        code = secrets.token_urlsafe(24)
        expires_at = self._now() + timedelta(seconds=self.config.code_ttl)
        record = _Code(user, client_id, redirect_uri, scope, challenge, method, expires_at)
        with self._lock:
            self._codes[digest(code)] = record
        return code

    def redeem_code(
        self, code: str, client_id: str, redirect_uri: str | None, verifier: str | None
    ) -> TokenPair:
        """RFC 6749 §4.1.3 checks, then RFC 7636 §4.6; every failure is invalid_grant."""
        with self._lock:
            record = self._codes.get(digest(code))
            if record is None or record.client_id != client_id:
                raise OAuthError("invalid_grant", "The authorization code is not valid.")
            if record.used:
                for token_hash in record.issued:  # a replayed code: revoke what it produced
                    self._tokens[token_hash].revoked = True
                raise OAuthError("invalid_grant", "The authorization code was already used.")
            record.used = True
            if record.expires_at <= self._now():
                raise OAuthError("invalid_grant", "The authorization code has expired.")
            if record.redirect_uri is not None and redirect_uri != record.redirect_uri:
                raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
            _check_verifier(record, verifier)
            pair = self._mint(record.user, client_id, record.scope)
            record.issued += [digest(pair.access_token), digest(pair.refresh_token)]
            return pair

    def refresh(self, refresh_token: str, client_id: str, scope: str | None) -> TokenPair:
        """RFC 6749 §6: a new access token; the refresh token stays the same."""
        with self._lock:
            record = self._tokens.get(digest(refresh_token))
            if (
                record is None
                or record.expires_at is not None
                or record.revoked
                or record.client_id != client_id
            ):
                raise OAuthError("invalid_grant", "The refresh token is not valid.")
            granted = record.scope
            if scope is not None:
                if not set(scope.split()) <= set(granted.split()):
                    raise OAuthError("invalid_scope", "The scope exceeds the one originally granted.")
                granted = scope
            access = self._new_access(record.user, client_id, granted, digest(refresh_token))
            return TokenPair(access, refresh_token, self.config.access_token_ttl, granted)

    def mint(self, user: str, scope: str | None = None) -> TokenPair:
        """Tokens for `user` without the browser dance (tests and demos)."""
        with self._lock:
            return self._mint(user, self.config.client_id, scope or " ".join(self.config.scopes))

    def check(self, access_token: str) -> TokenCheck:
        """The device cloud's own verdict on an access token (used through CallableValidator)."""
        record = self._tokens.get(digest(access_token))
        if record is None or record.expires_at is None or self._revoked(record):
            return TokenCheck.invalid()
        if record.expires_at <= self._now():
            return TokenCheck.expired()
        return TokenCheck.valid_for(
            record.user,
            scopes=tuple(record.scope.split()),
            client_id=record.client_id,
            expires_at=record.expires_at,
        )

    def introspect(self, token: str) -> dict[str, object]:
        """RFC 7662 §2.2. An expired access token answers `active: false` with its `exp`, so the
        skill can tell EXPIRED from INVALID; revoked and unknown tokens answer only `active: false`."""
        record = self._tokens.get(digest(token))
        if record is None or self._revoked(record):
            return {"active": False}
        if record.expires_at is not None and record.expires_at <= self._now():
            return {"active": False, "exp": int(record.expires_at.timestamp())}
        answer: dict[str, object] = {
            "active": True,
            "scope": record.scope,
            "client_id": record.client_id,
            "username": record.user,
            "sub": record.user,
            "token_type": "Bearer" if record.expires_at is not None else "refresh_token",
            "iat": int(record.issued_at.timestamp()),
        }
        if record.expires_at is not None:
            answer["exp"] = int(record.expires_at.timestamp())
        return answer

    def expire(self, token: str | None = None, user: str | None = None) -> int:
        """Make access tokens expired now (by token, or every one of a user); how many changed."""
        past = self._now() - timedelta(seconds=1)
        with self._lock:
            hits = [r for r in self._select(token, user) if r.expires_at is not None]
            for record in hits:
                record.expires_at = min(record.expires_at or past, past)
            return len(hits)

    def revoke(self, token: str | None = None, user: str | None = None) -> int:
        """Revoke tokens (by token, or every token of a user, as when the account is closed)."""
        with self._lock:
            hits = self._select(token, user)
            for record in hits:
                record.revoked = True
            return len(hits)

    def _revoked(self, record: _Token) -> bool:
        """Revoked itself, or minted from a refresh token that is (revoked by the admin API, or by
        the replay of the code it came from): RFC 6749 §4.1.2, RFC 7009 §2.1."""
        if record.revoked:
            return True
        parent = self._tokens.get(record.refresh_hash) if record.refresh_hash is not None else None
        return parent is not None and parent.revoked

    def _select(self, token: str | None, user: str | None) -> list[_Token]:
        if token is not None:
            record = self._tokens.get(digest(token))
            return [record] if record else []
        return [r for r in self._tokens.values() if r.user == user]

    def _mint(self, user: str, client_id: str, scope: str) -> TokenPair:
        refresh = "mlr." + secrets.token_urlsafe(32)
        self._tokens[digest(refresh)] = _Token(user, client_id, scope, self._now(), None)
        access = self._new_access(user, client_id, scope, digest(refresh))
        return TokenPair(access, refresh, self.config.access_token_ttl, scope)

    def _new_access(self, user: str, client_id: str, scope: str, refresh_hash: str) -> str:
        access = "mla." + secrets.token_urlsafe(32)
        now = self._now()
        expires_at = now + timedelta(seconds=self.config.access_token_ttl)
        self._tokens[digest(access)] = _Token(
            user, client_id, scope, now, expires_at, refresh_hash=refresh_hash
        )
        return access


def _check_verifier(record: _Code, verifier: str | None) -> None:
    if record.challenge is None:
        if verifier is not None:
            raise OAuthError(
                "invalid_grant", "code_verifier sent, but the authorization request had no challenge."
            )
        return
    if verifier is None or not VERIFIER.fullmatch(verifier):  # `$` lets a trailing line feed by
        raise OAuthError("invalid_grant", "A valid code_verifier is required.")
    if not pkce_matches(verifier, record.challenge, record.method or "plain"):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge.")
