"""Rendering and guarding console pages: Jinja2 templates, sign-in checks, CSRF checks.

Jinja2 is loaded with the first page served, not at start (a server used only through its APIs
never needs it).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from localexa import __version__
from localexa.server.console.pages import TABLE_PAGES
from localexa.server.console.session import ConsoleSession, csrf_ok, read_session

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

HERE = Path(__file__).parent


@cache
def templates() -> Jinja2Templates:
    from starlette.templating import Jinja2Templates

    return Jinja2Templates(directory=str(HERE / "templates"))


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


def signed_in(request: Request) -> ConsoleSession | None:
    session = read_session(request)
    return session if session is not None and session.signed_in else None


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/login?next={quote(target, safe='')}", status_code=303)


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


async def checked_form(request: Request) -> tuple[ConsoleSession | None, FormData | None]:
    """The signed-in session and the form of a POST, when its CSRF token matches."""
    session = signed_in(request)
    if session is None:
        return None, None
    form = await request.form()
    if not csrf_ok(session, form.get("csrf_token")):
        return session, None
    return session, form


def forbidden(request: Request, session: ConsoleSession | None) -> Response:
    return render(
        request,
        "message.html",
        {
            "title": "Form expired",
            "message": "This form is out of date (its security token does not match your session). "
            "Go back, reload the page and submit it again.",
        },
        session=session,
        status_code=403,
    )
