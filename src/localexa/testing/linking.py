"""A stand-in for a skill's OAuth 2.0 token endpoint, so app-to-app linking works in tests.

When an app calls `POST /v1/users/~current/skills/{id}/enablement` with an `authCode`, localexa
(as Alexa) exchanges that code at the skill's `accessTokenUrl` (spec alexa-api-surface.md §5).
In production that is the device cloud's own OAuth server; in a test of a phone app's backend it
is this stub: a real HTTP server on 127.0.0.1 (stdlib, in a daemon thread) that

- issues codes through `issue_code(redirect_uri)` (what your OAuth server hands your app),
- exchanges each code once, only with the redirect URI it was issued for (RFC 6749 §4.1.3),
  and only for the client id and secret configured on the skill (HTTP Basic or form body, §2.3.1),
- refreshes its refresh tokens (§6); other client credentials answer `401 invalid_client`, another
  grant `400 unsupported_grant_type`, anything else `400 invalid_grant`.

`account_linking()` is the skill's `accountLinking` object pointing at the stub.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from localexa.testing.ports import PORTS_VARIABLE, free_port_block

__all__ = ["DEFAULT_REDIRECT_URI", "AccountLinkingStub", "Exchange"]

DEFAULT_REDIRECT_URI = "https://app.example.com/alexa/link"


@dataclass(frozen=True)
class Exchange:
    """One token request the stub answered (secrets left out)."""

    grant_type: str
    status: int
    redirect_uri: str | None


@dataclass
class _Grants:
    codes: dict[str, str] = field(default_factory=dict)  # code -> redirect URI
    refresh_tokens: set[str] = field(default_factory=set)
    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class AccountLinkingStub:
    """A skill's token endpoint on a free port of 127.0.0.1. Start with `start()` or `with`."""

    def __init__(self, *, client_id: str = "localexa-test-skill", client_secret: str | None = None) -> None:
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(16)
        self._grants = _Grants()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stub is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_url(self) -> str:
        return self.base_url + "/token"

    @property
    def exchanges(self) -> list[Exchange]:
        with self._grants.lock:
            return list(self._grants.exchanges)

    def forget(self) -> None:
        """Forget every code, refresh token and exchange (the kit's reset: each test starts empty)."""
        with self._grants.lock:
            self._grants.codes.clear()
            self._grants.refresh_tokens.clear()
            self._grants.exchanges.clear()

    def issue_code(self, redirect_uri: str = DEFAULT_REDIRECT_URI) -> str:
        """A one-time authorization code, as your OAuth server would hand it to your app."""
        code = "stub-code-" + secrets.token_urlsafe(12)
        with self._grants.lock:
            self._grants.codes[code] = redirect_uri
        return code

    def account_linking(self, redirect_uri: str = DEFAULT_REDIRECT_URI) -> dict[str, Any]:
        """The skill's `accountLinking` object (admin-api.md) for this stub."""
        return {
            "type": "AUTH_CODE",
            "authorizationUrl": self.base_url + "/authorize",
            "accessTokenUrl": self.token_url,
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["devices"],
            "redirectUrls": [redirect_uri],
        }

    def start(self) -> AccountLinkingStub:
        if self._server is None:
            self._server = _listen(_handler(self))
            self._server.daemon_threads = True
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="localexa-linking-stub", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> AccountLinkingStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the token endpoint ----------------------------------------------------------------------

    def _client_ok(self, authorization: str | None, form: dict[str, str]) -> bool:
        if authorization and authorization.lower().startswith("basic "):
            try:
                given = base64.b64decode(authorization[6:]).decode()
            except ValueError:
                return False
            return secrets.compare_digest(given, f"{self.client_id}:{self.client_secret}")
        return form.get("client_id") == self.client_id and secrets.compare_digest(
            form.get("client_secret", ""), self.client_secret
        )

    def answer(self, authorization: str | None, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) of one token request."""
        grant = form.get("grant_type", "")
        status, body = self._decide(authorization, form, grant)
        with self._grants.lock:
            self._grants.exchanges.append(Exchange(grant, status, form.get("redirect_uri")))
        return status, body

    def _decide(
        self, authorization: str | None, form: dict[str, str], grant: str
    ) -> tuple[int, dict[str, Any]]:
        if not self._client_ok(authorization, form):
            return 401, {"error": "invalid_client"}
        with self._grants.lock:
            if grant == "authorization_code":
                wanted = self._grants.codes.pop(form.get("code", ""), None)  # one use only
                if wanted is None or wanted != form.get("redirect_uri"):
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "unknown code or redirect_uri",
                    }
            elif grant == "refresh_token":
                if form.get("refresh_token") not in self._grants.refresh_tokens:
                    return 400, {"error": "invalid_grant", "error_description": "unknown refresh token"}
            else:
                return 400, {"error": "unsupported_grant_type"}
            refresh = "stub-rt-" + secrets.token_urlsafe(12)
            self._grants.refresh_tokens.add(refresh)
        return 200, {
            "access_token": "stub-at-" + secrets.token_urlsafe(12),
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": 3600,
        }


def _handler(stub: AccountLinkingStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace")
            status, body = (
                stub.answer(self.headers.get("Authorization"), dict(parse_qsl(raw)))
                if self.path == "/token"
                else (404, {"error": "not_found"})
            )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `exchanges`
            return

    return Handler


def _listen(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A server on 127.0.0.1: any free port, or one of `LOCALEXA_TEST_PORTS` when it is set (a
    port found free may be taken before the bind: another is tried)."""
    if not os.environ.get(PORTS_VARIABLE, "").strip():
        return ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for _ in range(20):
        try:
            return ThreadingHTTPServer(("127.0.0.1", free_port_block(size=1)), handler)
        except OSError:
            continue
    raise OSError(f"no free port of {PORTS_VARIABLE} could be bound for the account-linking stub")
