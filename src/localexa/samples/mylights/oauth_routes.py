"""HTTP face of My Lights' OAuth server: `/authorize` (RFC 6749 §4.1.1), `/token` (§4.1.3, §6),
`/introspect` (RFC 7662) and `/admin/*` helpers that let tests expire, revoke and time-travel.

Client authentication (RFC 6749 §2.3.1): HTTP Basic, or `client_id` + `client_secret` in the
form, never both. A failure is 401 `invalid_client` with `WWW-Authenticate: Basic`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from localexa.samples.mylights.authz import PKCE_METHODS, OAuthError
from localexa.samples.mylights.cloud import DeviceCloud
from localexa.samples.mylights.errors import NO_STORE, error_response, json_or_none
from localexa.samples.mylights.login_page import error_page, login_page

AUTHORIZE_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                    "code_challenge_method")  # fmt: skip


#: One advance at most (ten years), as localexa's `POST /_localexa/clock`.
MAX_ADVANCE_SECONDS = 10 * 365 * 86400


def oauth_error(error: OAuthError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="mylights"'} if error.status == 401 else {}
    return error_response(error.error, error.description, error.status, headers)


def client_credentials(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
    """(client_id, client_secret) from Basic or the body; OAuthError when absent, doubled or garbled."""
    header = request.headers.get("authorization", "")
    in_body = "client_secret" in form
    if header.lower().startswith("basic "):
        if in_body:
            raise OAuthError("invalid_request", "Use one client authentication method, not two.")
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            client_id, _, secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "Malformed Basic credentials.", 401) from None
        return unquote_plus(client_id), unquote_plus(secret)
    if in_body and form.get("client_id"):
        return form["client_id"], form["client_secret"]
    raise OAuthError("invalid_client", "Client authentication is required.", 401)


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _with_query(uri: str, params: Mapping[str, str | None]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _scheme(uri: str) -> str | None:
    """The URI's scheme, None when it is no URL (`http://[` raised ValueError: a 500, fuzz37 F3)."""
    try:
        return urlsplit(uri).scheme
    except ValueError:
        return None


def routes(cloud: DeviceCloud) -> list[Route]:
    config = cloud.config

    def check_request(params: Mapping[str, str]) -> tuple[str | None, str | None]:
        """(redirect_uri, error) for §4.1.2.1: errors before the redirect URI is trusted show a page."""
        if params.get("client_id") != config.client_id:
            return None, "Unknown client_id."
        redirect_uri = params.get("redirect_uri") or (
            config.redirect_uris[0] if len(config.redirect_uris) == 1 else None
        )
        if redirect_uri is None or _scheme(redirect_uri) not in ("http", "https"):
            return None, "A valid redirect_uri is required."
        if config.redirect_uris and redirect_uri not in config.redirect_uris:
            return None, "redirect_uri is not registered for this client."
        return redirect_uri, None

    def redirect_error(params: Mapping[str, str]) -> str | None:
        """The §4.1.2.1 error to send back to the client, if any."""
        if params.get("response_type") != "code":
            return "unsupported_response_type"
        if not set(params.get("scope", "").split()) <= set(config.scopes):
            return "invalid_scope"
        method = params.get("code_challenge_method")
        if method and (method not in PKCE_METHODS or not params.get("code_challenge")):
            return "invalid_request"
        return None

    async def authorize(request: Request) -> Response:
        params: dict[str, str]
        if request.method == "GET":
            params = {k: v for k, v in request.query_params.items() if k in AUTHORIZE_FIELDS}
        else:
            params = await read_form(request)
        redirect_uri, problem = check_request(params)
        if redirect_uri is None:
            return HTMLResponse(error_page(problem or "Bad request."), 400)
        state = params.get("state")
        error = redirect_error(params)
        if error is None and request.method == "POST" and params.get("decision") != "allow":
            error = "access_denied"
        if error is not None:
            return RedirectResponse(_with_query(redirect_uri, {"error": error, "state": state}), 302)
        shown = {k: params.get(k, "") for k in AUTHORIZE_FIELDS}
        if request.method == "GET":
            return HTMLResponse(login_page(shown))
        if not cloud.check_password(params.get("username", ""), params.get("password", "")):
            return HTMLResponse(login_page(shown, "Wrong username or password."), 401)
        scope = params.get("scope") or " ".join(config.scopes)
        code = cloud.oauth.issue_code(
            params["username"],
            config.client_id,
            params.get("redirect_uri") or None,
            scope,
            params.get("code_challenge") or None,
            params.get("code_challenge_method") or ("plain" if params.get("code_challenge") else None),
        )
        return RedirectResponse(_with_query(redirect_uri, {"code": code, "state": state}), 302)

    async def token(request: Request) -> Response:
        form = await read_form(request)
        try:
            client_id, secret = client_credentials(request, form)
            cloud.oauth.authenticate_client(client_id, secret)
            grant = form.get("grant_type")
            if not grant:  # RFC 6749 §5.2: a missing parameter is invalid_request
                raise OAuthError("invalid_request", "grant_type is required.")
            if grant == "authorization_code":
                if not form.get("code"):
                    raise OAuthError("invalid_request", "code is required.")
                pair = cloud.oauth.redeem_code(
                    form["code"], client_id, form.get("redirect_uri"), form.get("code_verifier")
                )
            elif grant == "refresh_token":
                if not form.get("refresh_token"):
                    raise OAuthError("invalid_request", "refresh_token is required.")
                pair = cloud.oauth.refresh(form["refresh_token"], client_id, form.get("scope"))
            else:
                raise OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported.")
        except OAuthError as error:
            return oauth_error(error)
        return JSONResponse(pair.to_json(), headers=NO_STORE)

    async def introspect(request: Request) -> Response:
        form = await read_form(request)
        try:
            cloud.oauth.authenticate_client(*client_credentials(request, form))
            if not form.get("token"):
                raise OAuthError("invalid_request", "token is required.")
        except OAuthError as error:
            return oauth_error(error)
        return JSONResponse(cloud.oauth.introspect(form["token"]), headers=NO_STORE)

    async def admin(request: Request) -> Response:
        """POST /admin/{action}: JSON body; the caller authenticates as the OAuth client."""
        try:
            cloud.oauth.authenticate_client(*client_credentials(request, {}))
        except OAuthError as error:
            return oauth_error(error)
        body: Any = json_or_none(await request.body() or b"{}")
        if not isinstance(body, dict):
            return error_response("invalid_request", "Send a JSON object.", 400)
        return admin_action(cloud, request.path_params["action"], body)

    return [
        Route("/authorize", authorize, methods=["GET", "POST"]),
        Route("/token", token, methods=["POST"]),
        Route("/introspect", introspect, methods=["POST"]),
        Route("/admin/{action}", admin, methods=["POST"]),
    ]


def admin_action(cloud: DeviceCloud, action: str, body: dict[str, Any]) -> Response:
    token, user = body.get("token"), body.get("user")
    if action in ("expire", "revoke"):
        if not isinstance(token, str) and not isinstance(user, str):
            return error_response("invalid_request", "Name a token or a user.", 400)
        by_token = token if isinstance(token, str) else None
        if action == "expire":
            return JSONResponse({"expired": cloud.oauth.expire(by_token, user)})
        return JSONResponse({"revoked": cloud.oauth.revoke(by_token, user)})
    if action == "clock":
        seconds = body.get("advanceSeconds")
        # Finite and bounded as localexa's own clock: NaN, 1e300 or a year past 9999 was a 500, and
        # the last one left the clock (and every sign-in) broken until a restart.
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= MAX_ADVANCE_SECONDS
        ):
            return error_response("invalid_request", f"advanceSeconds 0 to {MAX_ADVANCE_SECONDS}.", 400)
        try:
            now = cloud.advance_clock(seconds)
        except OverflowError:
            return error_response("invalid_request", "That is past the year 9999.", 400)
        return JSONResponse({"now": now.isoformat()})
    if action == "alexa-credentials":
        client_id, secret = body.get("clientId"), body.get("clientSecret")
        if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
            return error_response("invalid_request", "clientId and clientSecret.", 400)
        cloud.set_alexa_credentials(client_id, secret)
        return Response(status_code=204)
    return error_response("not_found", f"No admin action {action!r}.", 404)
