"""The web console at `/console`: sign in with the admin key, then browse and steer localexa.

Server-rendered (Jinja2, templates in ./templates), one small CSS file and one small script,
nothing from a CDN. Table pages read through console/queries.py; the journal, faults and clock
pages (console/steer.py) use the same code as the admin API.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, urlencode

from fastapi import Form, Request
from starlette.responses import FileResponse, RedirectResponse, Response

# Imported for its routes (journal, faults, clock): registered on the shared router before this
# module's, so before the catch-all table page `/{slug}`.
from localexa.server.console import evaluation_runs, queries, steer  # noqa: F401
from localexa.server.console.pages import PAGES_BY_SLUG, TABLE_PAGES, TablePage
from localexa.server.console.render import (
    HERE,
    checked_form,
    cookie_withheld,
    error_page,
    forbidden,
    refused_query,
    reload_from_here,
    render,
    signed_in,
    to_login,
)
from localexa.server.console.router import router as router  # api.py includes it from here
from localexa.server.console.said import refused_names
from localexa.server.console.session import (
    ConsoleSession,
    admin_key_ok,
    csrf_ok,
    end_session,
    mark_admin,
    new_session,
    read_session,
    set_session_cookie,
)
from localexa.server.core.admin_route import check_query
from localexa.server.core.auth import ADMIN_KEY_OPERATION, count_wrong_key
from localexa.server.core.clock import iso
from localexa.server.core.cross_site import posted_from_another_site
from localexa.server.core.errors import ERROR_PAGES, ApiFamily, BadRequest, MethodNotAllowed
from localexa.server.core.rate_limit import Limiter, caller_of

# Errors under /console raised outside these handlers (request guard, routing, validation of a path
# parameter) are rendered by core, which holds no template: it uses the console's message page.
ERROR_PAGES[ApiFamily.PAGE] = error_page

#: The rate limit's operation for console sign-in attempts.
SIGN_IN_OPERATION = "console.login"

_STATIC = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
}


@router.get("/static/{name}")
async def static(name: str, request: Request) -> Response:
    media_type = _STATIC.get(name)
    if media_type is None:
        return Response("Not found.", status_code=404, media_type="text/plain")
    try:
        check_query(request, frozenset(), "the console's static files")  # as every console GET
    except BadRequest as exc:
        return Response(exc.message, status_code=400, media_type="text/plain")
    return FileResponse(
        Path(HERE / "static" / name),
        media_type=media_type,
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


#: A path inside the console: `/console`, then the end, `/`, `?` or `#`; no backslash (browsers
#: read `\` as `/`), whitespace or control character anywhere.
_CONSOLE_PATH = re.compile(r"/console(?:[/?#][^\\\s\x00-\x1f\x7f-\x9f]*)?")


def _safe_next(target: str | None) -> str:
    """Only paths inside the console: never an open redirect, never a header's line break, and no
    `.` or `..` segment, which the browser resolves (`/console/../_localexa/docs` landed on the
    admin API's docs, QA of 2026-12-06; `%2e%2e` is resolved alike)."""
    if target and _CONSOLE_PATH.fullmatch(target) and not _dot_segments(target):
        return target
    return "/console"


def _dot_segments(target: str) -> bool:
    path = re.split(r"[?#]", target, maxsplit=1)[0]
    return any(unquote(segment) in (".", "..") for segment in path.split("/"))


#: What the sign-in page takes: the page to return to and the flag of a form that was not saved.
_LOGIN_QUERY = frozenset({"next", "unsaved"})


@router.get("/login")
async def login_page(request: Request, next: str | None = None, unsaved: str = "") -> Response:
    if cookie_withheld(request):  # a signed-in admin's cookie would be replaced below
        return reload_from_here(request)
    session = await read_session(request)
    where, back = "the console's sign-in page", ("/console/login", "Back to the sign-in page")
    if refusal := refused_query(request, session, _LOGIN_QUERY, where, back):
        return refusal  # before the redirect: a signed-in admin's `next` given twice is no target
    if session is not None and session.signed_in:
        return RedirectResponse(_safe_next(next), status_code=303)
    # An anonymous session only carries the CSRF token that guards this form.
    session = session or new_session(signed_in=False)
    context = {"next": _safe_next(next), "error": None, "unsaved": unsaved == "1"}
    response = render(request, "login.html", context, session=session)
    set_session_cookie(request, response, session)
    return response


def _too_many_sign_ins(
    request: Request, session: ConsoleSession | None, next: str, unsaved: bool, retry_after: int
) -> Response:
    error = f"Too many sign-in attempts. Try again in {retry_after} seconds."
    context = {"next": _safe_next(next), "error": error, "unsaved": unsaved}
    response = render(request, "login.html", context, session=session, status_code=429)
    response.headers["Retry-After"] = str(retry_after)
    return response


@router.post("/login")
async def login(
    request: Request,
    admin_key: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/console",
    unsaved: Annotated[str, Form()] = "",
) -> Response:
    session = await read_session(request)
    # Refused as every console form is (render.checked_form), before the budget or the key: with
    # the cookie and the login page's token a sign-in posted from another site went through (QA
    # of 2026-12-06), and such posts could spend the admin's own address's budget on guesses.
    if posted_from_another_site(request) or not csrf_ok(session, csrf_token):
        return forbidden(request, session)
    # Every attempt counts against the address's budget (LOCALEXA_RATE_LIMIT): the admin key may be
    # a short one set through LOCALEXA_ADMIN_KEY. Once it is spent the key is not even checked.
    limiter: Limiter = request.app.state.rate_limiter
    caller = caller_of(request)
    # The console and the X-Localexa-Admin-Key header guess the same key: they share one budget
    # of wrong keys (each had its own, twice the documented rate; re-verification of 2026-12-06).
    retry_after = await limiter.spent(ADMIN_KEY_OPERATION, caller) or await limiter.hit(
        SIGN_IN_OPERATION, caller
    )
    if retry_after is not None:
        return _too_many_sign_ins(request, session, next, unsaved == "1", retry_after)
    if not admin_key_ok(request, admin_key):
        # An empty key guesses nothing: not a wrong key, as a header without one is not
        # (core/auth.py); three empty submissions locked the address's admin calls out.
        if admin_key.strip() and (retry_after := await count_wrong_key(request, limiter, caller)) is not None:
            return _too_many_sign_ins(request, session, next, unsaved == "1", retry_after)  # spent meanwhile
        error = "That is not this server's admin key."
        context = {"next": _safe_next(next), "error": error, "unsaved": unsaved == "1"}
        return render(request, "login.html", context, session=session, status_code=401)
    mark_admin(request)  # the right key signed this call in: the admin's, in the journal
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, new_session(signed_in=True))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session, form = await checked_form(request)
    if session is None:
        # No `next`: coming back to the sign-out after signing in was a GET of a POST-only page
        # (a cross-site sign-out form, re-verification of 2026-12-06).
        return RedirectResponse("/console/login", status_code=303)
    if form is None:
        return forbidden(request, session)
    response = RedirectResponse("/console/login", status_code=303)
    await end_session(request, response, session)
    return response


_OVERVIEW = ("/console", "Back to the overview")


@router.get("")
@router.get("/")
async def overview(request: Request) -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login(request)
    if refusal := refused_query(request, session, frozenset(), "the console's overview", _OVERVIEW):
        return refusal
    state = request.app.state
    found = {page.slug: queries.table_named(*page.candidates) for page in TABLE_PAGES}
    names = [t.name for t in found.values() if t is not None]
    counted = await queries.counts(state.engine, [*names, "faults"])
    counted |= await queries.counts(state.journal.engine, ["journal_entries"])
    cards = []
    for page in TABLE_PAGES:
        table = found[page.slug]
        cards.append((page, counted.get(table.name) if table is not None else None))
    await state.clock.refresh(state.engine)
    context = {
        "cards": cards,
        "journal_count": counted.get("journal_entries"),
        "fault_count": counted.get("faults"),
        "now": iso(state.clock.now()),
        "offset": state.clock.offset_seconds,
        "base_url": str(request.base_url).rstrip("/"),
    }
    return render(request, "overview.html", context, session=session, active="overview")


def _table_query(page: TablePage) -> frozenset[str]:
    """What a table page takes: its form's fields and the cursor of **Older rows →**, and on the
    evaluations page the `evaluation_id` of a run's link (the links the console builds hold no
    other)."""
    extra = {"evaluation_id"} if page.slug == "evaluations" else set()
    return frozenset({*page.filters, "cursor", *extra})


#: Console paths of one segment that only take POST: `/{slug}` below would answer their GET 404.
_POST_ONLY = frozenset({"logout"})


@router.get("/{slug}")
async def table_page(slug: str, request: Request) -> Response:
    if slug in _POST_ONLY:
        # 405 with `Allow`, as every other wrong method on the console (README "Web console").
        raise MethodNotAllowed(f"GET is not allowed on {request.url.path}.", headers={"Allow": "POST"})
    page = PAGES_BY_SLUG.get(slug)
    session = await signed_in(request)
    if session is None:
        return to_login(request)
    if page is None:
        missing = {"title": "Not found", "message": f"The console has no page {slug}."}
        return render(request, "message.html", missing, session=session, status_code=404)
    where = {name: request.query_params.get(name, "") for name in page.filters}
    # Ignored until 2026-12-06 (rev3 QA): `?customer=…` on enablements, whose field is
    # `customer_id`, listed every row as if filtered. As the journal page (console/steer.py).
    names = refused_names(request, _table_query(page), f"the console's {page.title.lower()} page")
    if names is not None:
        unknown: dict[str, Any] = {"page": page, "grid": None, "where": where, "extra": [], "error": names}
        return render(request, "table.html", unknown, session=session, active=slug, status_code=400)
    cursor = request.query_params.get("cursor") or None
    engine = request.app.state.engine
    try:
        grid = await queries.grid(
            engine,
            page.title,
            page.candidates,
            columns=page.columns,
            where=where,
            links=page.links,
            cursor=cursor,
        )
    except queries.BadCursor as exc:
        refusal = {"title": "Bad request", "message": f"{exc} Start again from the newest rows."}
        return render(request, "message.html", refusal, session=session, status_code=400)
    except queries.BadFilter as exc:
        # The page with its filters, the value to correct in its field and what is wrong with it.
        refused: dict[str, Any] = {"page": page, "grid": None, "where": where, "extra": [], "error": str(exc)}
        return render(request, "table.html", refused, session=session, active=slug, status_code=400)
    extra: list[tuple[str, queries.Grid]] = []
    active_filters = {name: value for name, value in where.items() if value}
    if slug == "evaluations":
        await evaluation_runs.show_api_totals(engine, grid)
        evaluation_runs.keep_in_links(grid, {**active_filters, **({"cursor": cursor} if cursor else {})})
        run = request.query_params.get("evaluation_id", "")
        every_run = not grid.filtered and cursor is None and grid.next_cursor is None
        extra.append(
            await evaluation_runs.results_of(engine, run, grid, every_run=every_run, filters=active_filters)
        )
    context: dict[str, Any] = {
        "page": page,
        "grid": grid,
        "where": where,
        "extra": extra,
        "error": None,
        "paged": cursor is not None,
        "newest": urlencode(active_filters),
        "older": urlencode({**active_filters, "cursor": grid.next_cursor}) if grid.next_cursor else None,
    }
    return render(request, "table.html", context, session=session, active=slug)
