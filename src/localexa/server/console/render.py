"""Rendering and guarding console pages: Jinja2 templates, sign-in checks, CSRF checks, and the
HTML page of every error under /console (also those raised before routing: core's ERROR_PAGES).

Jinja2 is loaded with the first page served, not at start (a server used only through its APIs
never needs it).
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from localexa import __version__
from localexa.server.console.pages import TABLE_PAGES
from localexa.server.console.said import Said, markdown, refused_names, said
from localexa.server.console.session import COOKIE, ConsoleSession, csrf_ok, read_session
from localexa.server.core.cross_site import posted_from_another_site
from localexa.server.core.errors import BadRequest
from localexa.server.core.form_text import holds_non_text

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

HERE = Path(__file__).parent


@cache
def templates() -> Jinja2Templates:
    from starlette.templating import Jinja2Templates

    loaded = Jinja2Templates(directory=str(HERE / "templates"))
    loaded.env.filters["path_breaks"] = path_breaks
    loaded.env.filters["said"] = said
    return loaded


#: A URL's `scheme://host/` (the outbound calls' URLs): one piece, so no line ends in "https:/".
_URL_START = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/]*/?")


def path_breaks(path: str) -> str:
    """A path (or URL) as HTML that a narrow column breaks only after a "/": each piece up to and
    with its "/" is a `<span class="seg">` that does not wrap (console.css), a `<wbr>` between
    them. Neither adds text: the link's text, copied or read, is the path. Until 2026-12-06 it
    broke anywhere ("…/stage" then "s/development"), and then still at each "-" inside an id
    (`amzn1.ask.skill.5b53d81f-8d1f-` then `4e33-…`; Chromium breaks after a hyphen, rev1 QA F3)."""
    from markupsafe import Markup, escape

    text = str(path)
    start = _URL_START.match(text)
    pieces: list[str] = [start.group(0)] if start else []
    rest = text[start.end() :] if start else text
    for piece in re.findall(r"[^/]*/|[^/]+$", rest):
        if pieces and (piece == "/" or not pieces[-1].strip("/")):
            pieces[-1] += piece  # a leading "/" or a "//": no line of slashes alone
        else:
            pieces.append(piece)
    span = Markup('<span class="seg">{}</span>')
    return Markup("<wbr>").join(span.format(escape(piece)) for piece in pieces)


NAV: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    *((page.slug, page.title) for page in TABLE_PAGES),
    ("journal", "Journal"),
    ("faults", "Faults"),
    ("clock", "Clock"),
)

# Pages are private and change with every call: never cached, never framed.
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


async def signed_in(request: Request) -> ConsoleSession | None:
    session = await read_session(request)
    return session if session is not None and session.signed_in else None


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def cookie_withheld(request: Request) -> bool:
    """A browser's visit from another site's link, without the session cookie: SameSite=Strict
    keeps it out of such a navigation (and of the redirects that follow it), signed in or not."""
    headers = request.headers
    return (
        request.method in ("GET", "HEAD")
        and headers.get("sec-fetch-site") == "cross-site"
        and headers.get("sec-fetch-mode") == "navigate"
        and COOKIE not in request.cookies
    )


def reload_from_here(request: Request) -> HTMLResponse:
    """Load the page again from the console itself: a navigation a page of this site starts is
    same-site, so the browser sends the Strict cookie with it. Without this, a link from another
    site showed the sign-in page, whose fresh cookie replaced the session: the admin was signed out
    (QA of 2026-12-06). Sets no cookie; a visitor who is not signed in gets the sign-in page next."""
    target = html.escape(_here(request), quote=True)
    body = (
        f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={target}">'
        f'<title>localexa console</title><p><a href="{target}">Continue to the localexa console</a></p>'
    )
    return HTMLResponse(body, headers=_HEADERS)


def to_login(request: Request) -> Response:
    if cookie_withheld(request):
        return reload_from_here(request)
    if request.method == "POST":
        # A form sent after the session ended (signed out in another tab, expired): the sign-in
        # page says it was not saved (it said nothing, QA of 2026-12-06), then returns to the
        # form's page. A deletion's own path only takes POST: back to the list it was on.
        page = request.url.path
        if page.endswith("/delete"):
            page = page.rsplit("/", 2)[0]
        return RedirectResponse(f"/console/login?next={quote(page, safe='')}&unsaved=1", status_code=303)
    return RedirectResponse(f"/console/login?next={quote(_here(request), safe='')}", status_code=303)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    session: ConsoleSession | None,
    status_code: int = 200,
    active: str = "",
) -> Response:
    full = {
        "nav": NAV,
        "active": active,
        "csrf": session.csrf if session else "",
        "signed_in": bool(session and session.signed_in),
        "version": __version__,
        **context,
    }
    return templates().TemplateResponse(request, name, full, status_code=status_code, headers=_HEADERS)


def refused_query(
    request: Request,
    session: ConsoleSession | None,
    accepted: frozenset[str],
    where: str,
    back: tuple[str, str],
) -> Response | None:
    """The 400 message page for a query parameter the page does not take, or one given twice,
    worded as every admin GET's (core/admin_route.py `check_query`), with `back` (its path, the
    link's text) to the page without them; None when the query is fine. The overview, faults and
    clock pages took any name silently until 2026-12-06 (rev4 QA)."""
    refusal = refused_names(request, accepted, where)
    if refusal is None:
        return None
    page = {"title": "Bad request", "message": refusal, "back": back}
    return render(request, "message.html", page, session=session, status_code=400)


UNREADABLE_FORM = (
    "A value of this form is not text: it holds bytes that are not UTF-8 or an unpaired UTF-16 "
    "surrogate (such as %ED%A0%80). Nothing was changed."
)


async def checked_form(request: Request) -> tuple[ConsoleSession | None, FormData | None]:
    """The signed-in session and the form of a POST, when its CSRF token matches.

    Raises BadRequest (the console's 400 page) for a value that is not text, which the form
    parser would otherwise have turned into U+FFFD and stored.
    """
    session = await signed_in(request)
    if session is None:
        return None, None
    body = await request.body()  # kept by the request: the form below parses the same bytes
    form = await request.form()
    # A form from another site is refused even with the right token (SameSite=Strict keeps the
    # cookie off such posts in today's browsers; this holds without it).
    if posted_from_another_site(request) or not csrf_ok(session, form.get("csrf_token")):
        return session, None
    if holds_non_text(body, request.headers.get("content-type"), (value for _, value in form.multi_items())):
        raise BadRequest(UNREADABLE_FORM)
    return session, form


def forbidden(request: Request, session: ConsoleSession | None) -> Response:
    if posted_from_another_site(request):
        # A forged post was told to reload and submit again, as if its own page had expired.
        refusal = {
            "title": "Sent from another site",
            "message": "This form was sent from another site, not from the console. Nothing was changed.",
        }
    else:
        refusal = {
            "title": "Form expired",
            "message": "This form is out of date (its security token does not match your session). "
            "Go back, reload the page and submit it again.",
        }
    return render(request, "message.html", refusal, session=session, status_code=403)


_ERROR_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    415: "Unsupported form",
    429: "Too many requests",
    503: "Unavailable",
}


#: The statuses of errors whose messages, given as text, may quote what the user typed (a 404 a
#: route raised, naming the id in its path): shown as text, a backtick in them the user's. Core's
#: other text under /console quotes nothing typed and may mark code (the 503 before the lifespan
#: ran). A message given as parts (core/message_parts.py: its 404 and 405 quoting the path, the
#: request guard's refusals quoting a header, validation errors naming a field) says itself which
#: of it was typed.
_QUOTING_THE_PATH = frozenset({404, 405})


def error_page(status: int, message: str | Said, headers: dict[str, str]) -> Response:
    """The message page for an error core renders under /console (the request guard's NUL or size
    refusals, a wrong method, an invalid path parameter, a raised error). Core passes no request,
    so the page is rendered without the session: it shows the message and the way back."""
    context = {
        "nav": NAV,
        "active": "",
        "csrf": "",
        "signed_in": False,
        "version": __version__,
        "title": _ERROR_TITLES.get(status, "Something went wrong"),
        "message": message if status in _QUOTING_THE_PATH and isinstance(message, str) else markdown(message),
    }
    html = templates().env.get_template("message.html").render(context)
    return HTMLResponse(html, status_code=status, headers={**_HEADERS, **headers})
