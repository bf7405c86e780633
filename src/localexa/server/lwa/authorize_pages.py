"""The /ap/oa pages as a browser gets them: sign-in and consent rendered for a session (the
signed request and the session's CSRF token in each form), the session cookie, and how a form
that came from another site or from an older page of this browser is told apart (routes.py
decides what each gets)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from localexa.server.lwa import pages
from localexa.server.lwa.authorize import AuthorizeRequest, AuthorizeService
from localexa.server.lwa.models import Customer, LwaClient
from localexa.server.lwa.signing import COOKIE_NAME, COOKIE_PATH, BrowserSession, PageSigner


def set_session_cookie(
    response: Response, request: Request, signer: PageSigner, browser: BrowserSession
) -> None:
    response.set_cookie(
        COOKIE_NAME,
        signer.cookie_value(browser),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def signin_page(
    signer: PageSigner,
    auth: AuthorizeRequest,
    client: LwaClient,
    browser: BrowserSession,
    *,
    message: str | None = None,
    email: str = "",
    status: int = 200,
) -> HTMLResponse:
    return pages.render(
        "signin.html",
        status=status,
        client_name=client.name,
        request_token=signer.sign_request(auth.to_dict()),
        csrf=signer.csrf_token(browser),
        message=message,
        email=email,
    )


def consent_page(
    signer: PageSigner,
    auth: AuthorizeRequest,
    client: LwaClient,
    browser: BrowserSession,
    customer: Customer,
    *,
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return pages.render(
        "consent.html",
        status=status,
        client_name=client.name,
        scopes=AuthorizeService.scope_views(auth),
        request_token=signer.sign_request(auth.to_dict()),
        csrf=signer.csrf_token(browser),
        customer_name=customer.name,
        customer_email=customer.email,
        message=message,
    )


#: What a form of an older page gets, on its session's current page.
OUT_OF_DATE = "This form was out of date (another tab, or the page again); nothing was changed."


async def page_for_session(
    service: AuthorizeService,
    signer: PageSigner,
    auth: AuthorizeRequest,
    client: LwaClient,
    session: BrowserSession,
) -> Response:
    """The page this session is at: consent when signed in, else sign-in; its cookie unchanged."""
    customer = await service.customer(session.user_id) if session.user_id else None
    if customer is not None:
        return consent_page(signer, auth, client, session, customer, message=OUT_OF_DATE, status=400)
    return signin_page(signer, auth, client, session, message=OUT_OF_DATE, status=400)
