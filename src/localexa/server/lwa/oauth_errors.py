"""One class per RFC 6749 error, each carrying its `error` code (the shape Authlib uses).

Token endpoint errors (RFC 6749 §5.2) render as LWA's `{"error", "error_description"}` through
core.errors; `invalid_client` is 401 with `WWW-Authenticate`, the others 400. Resource errors
(RFC 6750 §3.1) carry a `Bearer` challenge. `GrantRevoked` is the one error whose request must
still commit: the replayed code's tokens are revoked even though the answer is an error.

Every description passes `description_text`: RFC 6749 §5.2 (and §4.1.2.1 for the redirect's
`error_description`) allows only printable ASCII without `"` and `\\`, and a description may
quote what the request sent (a grant_type, a scope): such a description is built as parts
(`Parts`, core/message_parts.py), its values `Sent`, so they keep their code points whatever they hold.
"""

from __future__ import annotations

from localexa.server.core.errors import OAuthError, Parts, description_text


class InvalidRequest(OAuthError):
    def __init__(self, description: str | Parts) -> None:
        super().__init__("invalid_request", description_text(description))


class InvalidClient(OAuthError):
    def __init__(self, description: str | Parts) -> None:
        super().__init__("invalid_client", description_text(description), status=401)


class InvalidGrant(OAuthError):
    def __init__(self, description: str | Parts) -> None:
        super().__init__("invalid_grant", description_text(description))


class GrantRevoked(InvalidGrant):
    """A second use of an authorization code (RFC 6749 §4.1.2): refused, and its grant revoked.

    The route must answer with this error *and* commit, so the revocation is kept.
    """


class UnauthorizedClient(OAuthError):
    def __init__(self, description: str | Parts) -> None:
        super().__init__("unauthorized_client", description_text(description))


class UnsupportedGrantType(OAuthError):
    def __init__(self, description: str | Parts) -> None:
        super().__init__("unsupported_grant_type", description_text(description))


class InvalidScope(OAuthError):
    def __init__(self, description: str | Parts) -> None:
        super().__init__("invalid_scope", description_text(description))


class InvalidToken(OAuthError):
    """An access token that is unknown, revoked or expired.

    401 with a Bearer challenge at a resource (RFC 6750 §3.1); tokeninfo answers 400 instead.
    """

    def __init__(self, description: str | Parts, *, status: int = 401, token_sent: bool = True) -> None:
        super().__init__("invalid_token", description_text(description), status=status)
        if status != 401:
            self.headers.pop("WWW-Authenticate", None)
        elif token_sent:
            self.headers["WWW-Authenticate"] = 'Bearer realm="localexa", error="invalid_token"'
        else:
            # RFC 6750 §3.1: a request with no credentials at all gets a challenge without an
            # error code (nothing was invalid; the client should just authenticate).
            self.headers["WWW-Authenticate"] = 'Bearer realm="localexa"'


class InsufficientScope(OAuthError):
    def __init__(self, description: str | Parts, *, scope: str) -> None:
        super().__init__("insufficient_scope", description_text(description), status=403)
        self.headers["WWW-Authenticate"] = (
            f'Bearer realm="localexa", error="insufficient_scope", scope="{scope}"'
        )
