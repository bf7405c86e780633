"""HTTP routes of Login with Amazon (spec §3; DESIGN.md host table: www.amazon.com, api.amazon.com).

    GET  /ap/oa                 sign-in or consent page (RFC 6749 §4.1.1)
    POST /ap/oa                 the page's forms: action = signin | consent | signout
    POST /auth/o2/token         token endpoint (also /auth/O2/token, as Amazon's Python SDK posts,
                                and any other letter case: any_case.py, counted as /auth/o2/token)
    GET  /auth/o2/tokeninfo     what an access token is (in any letter case too)
    GET  /user/profile          the customer's profile, by scope

Handlers stay thin: rules live in authorize.py, token_endpoint.py and service.py. The session
dependency is function-scoped here, so the token exchange is committed before its answer leaves:
a client using its new token at once finds it stored. `/ap/` speaks HTML, also for its errors
(those raised before or outside its handlers too: ApiFamily.LWA_PAGE).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from localexa.server.core.auth import Principal, extract_bearer
from localexa.server.core.clock import Clock
from localexa.server.core.cross_site import posted_from_another_site
from localexa.server.core.deps import BoxDep
from localexa.server.core.errors import ERROR_PAGES, ApiFamily, BadRequest, render_error
from localexa.server.core.families import errors_as
from localexa.server.core.form_text import holds_non_text
from localexa.server.core.no_store import NO_STORE
from localexa.server.core.rate_limit import Limiter, caller_of
from localexa.server.core.request_guard import RequestRefused
from localexa.server.db.session import get_session
from localexa.server.lwa import forms, pages, sign_outs
from localexa.server.lwa.any_case import any_case
from localexa.server.lwa.authorize import (
    AuthorizePageError,
    AuthorizeRedirect,
    AuthorizeService,
)
from localexa.server.lwa.authorize_pages import (
    consent_page,
    page_for_session,
    set_session_cookie,
    signin_page,
)
from localexa.server.lwa.oauth_errors import GrantRevoked, InvalidRequest
from localexa.server.lwa.schemas import (
    AUTHORIZE_FORM_OPENAPI,
    AUTHORIZE_PAGE_OPENAPI,
    TOKEN_LOCATIONS_OPENAPI,
    TOKEN_REQUEST_BODY,
    TOKEN_SECURITY,
    LwaError,
    ProfileResponse,
    TokenInfoResponse,
    TokenResponse,
)
from localexa.server.lwa.service import ISSUER, LwaService
from localexa.server.lwa.signing import COOKIE_NAME, PageSigner
from localexa.server.lwa.token_endpoint import TokenEndpoint

router = APIRouter(tags=["Login with Amazon"])

#: Committed when the handler returns, before the response is sent (FastAPI's default scope
#: "request" would commit only after the client already holds the answer).
FunctionSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
#: The rate limit's operation for sign-in attempts at /ap/oa.
SIGN_IN_OPERATION = "lwa.signin"
_ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": LwaError}, 401: {"model": LwaError}}
# Errors under /ap/ raised outside these handlers (request guard, faults, routing) are rendered by
# core, which holds no template: it uses this page.
ERROR_PAGES[ApiFamily.LWA_PAGE] = pages.status_page


async def fresh_clock(request: Request) -> Clock:
    """localexa's clock, re-read from the database when stale (another process may move it)."""
    clock: Clock = request.app.state.clock
    await clock.refresh(request.app.state.engine)
    return clock


FreshClock = Annotated[Clock, Depends(fresh_clock)]


async def issuing_clock(request: Request) -> Clock:
    """localexa's clock re-read from the database now, for routes that stamp what expires (tokens,
    codes). With the clock read up to `Clock.refresh_interval` ago, a token issued by this process
    just after an advance through another one was stamped by the clock before the advance, and
    every process judged it expired on arrival. One indexed read of a one-row table per call."""
    clock: Clock = request.app.state.clock
    await clock.refresh(request.app.state.engine, force=True)
    return clock


IssuingClock = Annotated[Clock, Depends(issuing_clock)]


# -- /ap/oa: sign-in and consent pages ------------------------------------------------------------


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=302, headers={**NO_STORE, "Referrer-Policy": "no-referrer"})


@router.get(
    "/ap/oa",
    response_class=HTMLResponse,
    summary="Sign-in and consent page",
    openapi_extra=AUTHORIZE_PAGE_OPENAPI,
)
async def authorize_page(request: Request, session: FunctionSession, box: BoxDep) -> Response:
    # The page stamps what expires (its signed request, a new session cookie): the clock is re-read
    # now, as the token endpoint does, in the request's own transaction. With the clock read up to
    # 0.5 s before, a page served just after an advance through another process was expired when
    # its form reached that process, and that process's cookie was no session here.
    clock: Clock = request.app.state.clock
    await clock.read_within(await session.connection())
    service, signer = AuthorizeService(session, box, clock), PageSigner(box, clock)
    try:
        auth, client = await service.validate(
            request.query_params.multi_items(), request.scope["query_string"]
        )
    except AuthorizePageError as exc:
        return pages.error_page(exc.title, exc.message)
    except AuthorizeRedirect as exc:
        return _redirect(exc.location)
    # A signed-out session is no session: the sign-in page, under a new cookie.
    browser = await sign_outs.live(request, box, signer.load_session(request.cookies.get(COOKIE_NAME)))
    fresh = browser is None
    browser = browser or signer.new_session()
    customer = await service.customer(browser.user_id)
    if customer is not None:
        response: Response = consent_page(signer, auth, client, browser, customer)
    else:
        response = signin_page(signer, auth, client, browser)
    if fresh:
        set_session_cookie(response, request, signer, browser)
    return response


#: The error page of a form holding a value that is not text (core/form_text.py).
UNREADABLE_FORM = (
    "A value of this form is not text: it holds bytes that are not UTF-8 or an unpaired UTF-16 "
    "surrogate (such as %ED%A0%80). Go back and send the form again."
)


async def _read_form(request: Request) -> dict[str, str] | None:
    """The page's form, or None when it cannot be read as one. Raises BadRequest (the error page)
    for a value that is not text, which the form parser would have turned into other text."""
    content_type = request.headers.get("content-type")
    if forms.media_type(content_type) not in (forms.FORM, forms.MULTIPART):
        return None
    try:
        body = await request.body()  # kept by the request: the form below parses the same bytes
        form = await request.form()
    except RequestRefused:  # too large, or holds NUL: answered as the error page (LWA_PAGE)
        raise
    except StarletteHTTPException:  # a broken multipart body
        return None
    items = form.multi_items()
    if holds_non_text(body, content_type, (value for _, value in items)):
        raise BadRequest(UNREADABLE_FORM)
    return {name: value for name, value in items if isinstance(value, str)}


@router.post(
    "/ap/oa",
    response_class=HTMLResponse,
    summary="Sign-in, consent and sign-out forms",
    openapi_extra=AUTHORIZE_FORM_OPENAPI,
)
async def authorize_form(
    request: Request, session: FunctionSession, box: BoxDep, clock: IssuingClock
) -> Response:
    service, signer = AuthorizeService(session, box, clock), PageSigner(box, clock)
    form = await _read_form(request)
    if form is None:
        return pages.error_page("This form cannot be read", "Send the sign-in form as a browser does.")
    if posted_from_another_site(request):
        # Whatever it carries (a browser may still send the Lax cookie, and the page's token with
        # it): nothing is done, and no session cookie is set either, since browsers store cookies
        # set in answer to a cross-site navigation (a forged post replaced the customer's session).
        return pages.error_page(
            "This form was sent from another site",
            "Nothing was changed. Start signing in again from the app you came from.",
        )
    cookie_session = await sign_outs.live(request, box, signer.load_session(request.cookies.get(COOKIE_NAME)))
    browser = cookie_session
    if browser is not None and not signer.check_csrf(browser, form.get("csrf_token")):
        browser = None
    action = form.get("action")
    if browser is not None and action == "signout":
        # "Not you?" ends the session on the server too: a saved copy of the cookie signs no one in
        # again (sign_outs.py), even when the page itself has expired. Recorded in a transaction of
        # its own before this request's session first touches the database: on SQLite that
        # session holds the process's write lock from its first statement to its commit.
        await sign_outs.end(request, box, browser, clock.now())
    try:
        auth, client = await service.resume(signer.load_request(form.get("request")))
    except AuthorizePageError as exc:
        return pages.error_page(exc.title, exc.message)
    if browser is None:
        if cookie_session is not None:
            # A form of an older page of this browser (another tab, reload, Back): nothing it asked
            # is done, and the live session stays; it replaced the cookie, signing the customer
            # out of every tab.
            return await page_for_session(service, signer, auth, client, cookie_session)
        # No session cookie (expired, signed out, blocked): nothing happens; the customer sees the
        # sign-in page of a fresh session.
        browser = signer.new_session()
        message = "Your sign-in session expired or this form is out of date. Please sign in again."
        response: Response = signin_page(signer, auth, client, browser, message=message, status=400)
        set_session_cookie(response, request, signer, browser)
        return response
    if action == "signin":
        email = form.get("email", "")
        retry_after = await _sign_in_budget(request, email)
        if retry_after is not None:
            message = f"Too many sign-in attempts. Try again in {retry_after} seconds."
            response = signin_page(signer, auth, client, browser, message=message, email=email, status=429)
            response.headers["Retry-After"] = str(retry_after)
            return response
        customer = await service.sign_in(email, form.get("password", ""))
        if customer is None:
            message = "Your email or password is incorrect."
            return signin_page(signer, auth, client, browser, message=message, email=email)
        browser = signer.new_session(customer.id)  # a new id on sign-in: no session fixation
        response = consent_page(signer, auth, client, browser, customer)
        set_session_cookie(response, request, signer, browser)
        return response
    if action == "signout":  # recorded above
        browser = signer.new_session()
        response = signin_page(signer, auth, client, browser)
        set_session_cookie(response, request, signer, browser)
        return response
    if action == "consent":
        customer = await service.customer(browser.user_id)
        if customer is None:
            return signin_page(signer, auth, client, browser, message="Sign in to continue.")
        decision = form.get("decision")
        if decision in ("allow", "deny"):
            location = await service.approve(auth, customer) if decision == "allow" else service.deny(auth)
            redirect = _redirect(location)
            # The answered consent form is spent: the browser's session takes a new id, so this
            # page's CSRF token no longer matches, and the form sent again (Back, a reload) is an
            # out-of-date form instead of another code (it minted one per post until 2026-12-05).
            set_session_cookie(redirect, request, signer, signer.new_session(customer.id))
            return redirect
        message = "Choose Allow or Cancel."
        return consent_page(signer, auth, client, browser, customer, message=message, status=400)
    return pages.error_page("This form cannot be read", f"Unknown form action {action!r}.")


async def _sign_in_budget(request: Request, email: str) -> int | None:
    """Count a sign-in attempt against the rate limit (LOCALEXA_RATE_LIMIT, core/rate_limit.py)
    of its address and of the account it names; the seconds to wait when either is spent.

    Every attempt counts, right or wrong: password guessing is bounded per address, and per
    account across addresses. The password is not checked once the budget is spent, so the
    answer tells nothing about it; and an attempt refused so (its address's or the account's
    budget spent) counts against neither: one address could keep any account it named locked for
    everyone, though no password of it was tried (review of 2026-12-07)."""
    limiter: Limiter = request.app.state.rate_limiter
    # The account's counter is named by a keyed hash of what was typed, not by the text: Redis (or
    # its MONITOR) held every e-mail typed in clear, and a password typed into the e-mail field
    # with it (QA of 2026-12-07). One key per account in every process that shares the secret.
    account = request.app.state.box.hash_token("lwa-sign-in-account:" + email.strip().lower())
    callers = (caller_of(request), "account:" + account)
    waits = [await limiter.spent(SIGN_IN_OPERATION, caller) for caller in callers]
    if all(wait is None for wait in waits):  # room in both: counted in both (a racer may fill one)
        waits = [await limiter.hit(SIGN_IN_OPERATION, caller) for caller in callers]
    spent = [wait for wait in waits if wait is not None]
    return max(spent) if spent else None


@router.get("/ap/static/lwa.css", include_in_schema=False)
async def stylesheet() -> Response:
    return Response(
        pages.stylesheet(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# Its path matches every /ap/ path: so every error under /ap/ is an HTML page (LWA_PAGE), a wrong
# method too (Starlette's 405, whose Allow then lists the GET and POST of the pages).
@router.api_route("/ap/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
@errors_as(ApiFamily.LWA_PAGE)
async def page_not_found(rest: str) -> Response:
    return pages.error_page("Page not found", "There is no sign-in page at this address.", status=404)


# -- api.amazon.com: token, tokeninfo, profile ------------------------------------------------------


# After the documented path, which it would match too: every other spelling (/auth/O2/token,
# Amazon's runtime's, included) is this route, labelled /auth/o2/token all the same (any_case.py).
@router.post(any_case("/auth/o2/token"), include_in_schema=False)
@router.post(
    "/auth/o2/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    responses=_ERRORS,
    openapi_extra={"requestBody": TOKEN_REQUEST_BODY, "security": TOKEN_SECURITY},
    summary="Token endpoint (authorization_code, refresh_token, client_credentials)",
)
@errors_as(ApiFamily.LWA_TOKEN)
async def token(request: Request, session: FunctionSession, box: BoxDep) -> Response:
    params = forms.parse_token_body(request.headers.get("content-type"), await request.body())
    if len(request.headers.getlist("authorization")) > 1:
        # The first was used: the order of two clients' credentials decided who was authenticated.
        raise InvalidRequest("The request has more than one Authorization header: send one.")
    basic = forms.parse_basic_auth(request.headers.get("authorization"))
    # The clock re-read before anything is stamped (as `issuing_clock` does), as the first statement
    # of the request's own transaction rather than in one of its own; after the body is read, so
    # that a slow client never holds SQLite's write lock (db/engine.py).
    clock: Clock = request.app.state.clock
    await clock.read_within(await session.connection())
    try:
        body = await TokenEndpoint(session, box, clock).handle(params, basic)
    except GrantRevoked as exc:
        # An error answer whose work must be kept: returning (not raising) lets the session commit
        # the revocation of the replayed code's tokens.
        return render_error(exc, ApiFamily.LWA_TOKEN, getattr(request.state, "request_id", "-"))
    return JSONResponse(body, headers=NO_STORE)


def _attribute(request: Request, client_id: str, user_id: str | None) -> None:
    """The journal's caller and customer of a call that checked its token itself (these routes
    answer LWA's own errors, not core.auth's): the token's client and user, as on other APIs."""
    request.state.principal = Principal(
        client_id=client_id, user_id=user_id, scopes=frozenset(), token_hash=""
    )


@router.get(any_case("/auth/o2/tokeninfo"), include_in_schema=False)
@router.get(
    "/auth/o2/tokeninfo",
    response_model=TokenInfoResponse,
    response_model_exclude_none=True,
    responses=_ERRORS,
    openapi_extra=TOKEN_LOCATIONS_OPENAPI,
    summary="What an access token is (Authorization, x-amz-access-token or ?access_token=)",
)
async def tokeninfo(request: Request, session: FunctionSession, box: BoxDep, clock: FreshClock) -> Response:
    info = await LwaService(session, box, clock).token_info(extract_bearer(request, allow_query=True))
    _attribute(request, info.client_id, info.user_id)
    body = TokenInfoResponse(
        iss=ISSUER,
        user_id=info.user_id,
        aud=info.client_id,
        app_id=info.client_id,
        exp=info.expires_in,
        iat=info.issued_at,
    )
    return JSONResponse(body.model_dump(exclude_none=True), headers=NO_STORE)


@router.get(
    "/user/profile",
    response_model=ProfileResponse,
    response_model_exclude_none=True,
    responses={401: {"model": LwaError}, 403: {"model": LwaError}},
    openapi_extra=TOKEN_LOCATIONS_OPENAPI,
    summary="The customer's profile (Bearer, x-amz-access-token or ?access_token=)",
)
async def profile(request: Request, session: FunctionSession, box: BoxDep, clock: FreshClock) -> Response:
    found = await LwaService(session, box, clock).profile(extract_bearer(request, allow_query=True))
    if found.client_id is not None:
        _attribute(request, found.client_id, found.user_id)
    body = ProfileResponse(
        user_id=found.user_id, name=found.name, email=found.email, postal_code=found.postal_code
    )
    return JSONResponse(body.model_dump(exclude_none=True), headers=NO_STORE)
