"""Server-rendered pages of /ap/oa (Jinja2 templates in ./templates, CSS in ./static).

Every page is `no-store` (it holds a CSRF token and a signed request), cannot be framed
(clickjacking on a consent button), loads nothing but its own stylesheet, and sends no Referer,
so the authorization query does not leak to the client's page. Jinja2 is loaded with the first
page, not at start.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from jinja2 import Environment

    from localexa.server.core.message_parts import Parts

STYLESHEET_PATH = "/ap/static/lwa.css"


@cache
def _env() -> Environment:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(
        loader=PackageLoader("localexa.server.lwa", "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )


PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # No form-action: browsers apply it to the redirect after the consent form, which must
    # reach the client's redirect_uri.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def stylesheet() -> bytes:
    return resources.files("localexa.server.lwa").joinpath("static/lwa.css").read_bytes()


def render(template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    html = _env().get_template(template).render(stylesheet=STYLESHEET_PATH, **context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def error_page(title: str, message: str, *, status: int = 400) -> HTMLResponse:
    return render("error.html", status=status, title=title, message=message)


_TITLES = {
    400: "This request cannot be read",
    404: "Page not found",
    405: "Method not allowed",
    413: "This request is too large",
    429: "Too many requests",
    503: "Sign-in is unavailable",
}


def status_page(status: int, message: str | Parts, headers: dict[str, str]) -> HTMLResponse:
    """The error page of an error raised anywhere under /ap/ (request guard, faults, routing), with
    the error's own headers (Allow, Retry-After) and the request id. Its message is text, all of
    it (parts as the JSON APIs write them)."""
    response = error_page(_TITLES.get(status, "Something went wrong"), str(message), status=status)
    response.headers.update(headers)
    return response
