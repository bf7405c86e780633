"""Console pages that observe and steer: the live journal, faults and the clock.

They call the same code as the admin API (observe/journal_query.py, observe/faults.py,
core.clock), so the console and `/_localexa/...` always agree. The journal page polls
`/console/journal/rows` (an HTML fragment) every 2 s with a few lines of script.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.responses import RedirectResponse, Response

from localexa.server.console.render import (
    UNREADABLE_FORM,
    checked_form,
    forbidden,
    refused_query,
    render,
    signed_in,
    to_login,
)
from localexa.server.console.router import router
from localexa.server.console.said import Said, markdown, refused_names
from localexa.server.console.session import ConsoleSession
from localexa.server.core.clock import iso
from localexa.server.core.errors import BadRequest
from localexa.server.observe.journal_query import build_filter, read_entry, read_page
from localexa.server.observe.routes import fault_out
from localexa.server.observe.schemas import FaultFields

JOURNAL_FILTERS = (
    "path",
    "status",
    "customer",
    "skill",
    "caller",
    "region",
    "direction",
    "request_id",
    "since",
    "until",
)
JOURNAL_ROWS = 100
#: Journal ids are signed 64-bit integers (BIGINT); a larger one names no entry.
_ENTRY_IDS = range(-(2**63), 2**63)
MAX_ADVANCE_SECONDS = 10 * 365 * 86400
#: Digits and at most one decimal point, ASCII only: float() would also take `1_000`, `1e3`,
#: fullwidth `１２` and Arabic-Indic `٣`, which nobody means to type into this form.
_SECONDS = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_FAULT_FIELDS = (
    "method",
    "path",
    "status",
    "delayMs",
    "probability",
    "count",
    "retryAfter",
    "customer",
    "skill",
    "region",
    "seed",
)


def _console_spelling(filters: dict[str, str]) -> None:
    """The journal's filters as the console takes them: `region` and `direction` in any letter
    case (`direction=INBOUND` was a 400 while `region=na` was taken), and a path that can match
    (`path=v1` matched nothing, silently: every recorded path starts with `/`; that one is
    `build_filter`'s rule, the admin API's too)."""
    filters["region"] = filters["region"].upper()
    filters["direction"] = filters["direction"].lower()


#: What the journal page takes: its form's fields, the admin API's `requestId` and the cursor (the
#: links the console builds hold no other); another name is the admin API's 400, as a page.
_JOURNAL_QUERY = frozenset({*JOURNAL_FILTERS, "requestId", "cursor"})


async def _journal_context(request: Request) -> dict[str, Any]:
    query = request.query_params
    filters = {name: query.get(name, "").strip() for name in JOURNAL_FILTERS}
    # Ignored until 2026-12-06: `?method=HEAD` showed every entry as if filtered.
    refusal = refused_names(request, _JOURNAL_QUERY, "the console's journal")
    if refusal is not None:
        return {"filters": filters, "entries": [], "error": refusal, "next_cursor": None, "query": ""}
    if not filters["request_id"]:
        # The admin API's spelling (`?requestId=`, README "Journal"), pasted into the console's URL,
        # was ignored and every entry showed.
        filters["request_id"] = query.get("requestId", "").strip()
    cursor = request.query_params.get("cursor") or None
    try:
        _console_spelling(filters)
        page = await read_page(request.app, build_filter(**filters), limit=JOURNAL_ROWS, cursor=cursor)
    except BadRequest as exc:
        return {"filters": filters, "entries": [], "error": exc.message, "next_cursor": None, "query": ""}
    active = {k: v for k, v in filters.items() if v}
    return {
        "filters": filters,
        "entries": page.entries,
        "error": None,
        "next_cursor": page.next_cursor,
        "query": urlencode(active),
        "older": urlencode({**active, "cursor": page.next_cursor}) if page.next_cursor else None,
        "live": cursor is None,
    }


@router.get("/journal")
async def journal(request: Request) -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login(request)
    context = await _journal_context(request)
    # A filter or cursor the journal refuses is a 400 page, as a bad cursor is on the table pages.
    status_code = 400 if context["error"] else 200
    return render(
        request, "journal.html", context, session=session, active="journal", status_code=status_code
    )


#: The rows fragment's header naming the page after its rows ("" on the last page).
OLDER_HEADER = "X-Journal-Older"


@router.get("/journal/rows")
async def journal_rows(request: Request) -> Response:
    """The table body alone, for the page's 2-second refresh, and in OLDER_HEADER the link to the
    entries after these rows: the page swaps both, as entries that scrolled off the first page
    were on no page while its "Older entries →" still started after the rows first shown (QA of
    2026-12-06)."""
    session = await signed_in(request)
    if session is None:
        return Response("Signed out.", status_code=401, media_type="text/plain")
    context = await _journal_context(request)
    status_code = 400 if context["error"] else 200
    response = render(request, "_journal_rows.html", context, session=session, status_code=status_code)
    older = context.get("older")
    response.headers[OLDER_HEADER] = f"/console/journal?{older}" if older else ""
    return response


@router.get("/journal/{entry_id}")
async def journal_entry(entry_id: int, request: Request) -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login(request)
    back = (f"/console/journal/{entry_id}", f"Back to journal entry {entry_id}")
    if refusal := refused_query(request, session, frozenset(), "the console's journal entry page", back):
        return refusal
    entry = await read_entry(request.app, entry_id) if entry_id in _ENTRY_IDS else None
    if entry is None:
        context = {"title": "Not found", "message": f"No journal entry {entry_id} (it may have aged out)."}
        return render(request, "message.html", context, session=session, status_code=404)
    return render(request, "journal_entry.html", {"entry": entry}, session=session, active="journal")


async def _faults_page(
    request: Request,
    session: ConsoleSession,
    *,
    errors: Sequence[str | Said] = (),
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    # Newest first, as every other console page (the listing is oldest first, as the admin API's).
    faults = [fault_out(row) for row in reversed(await request.app.state.faults.listing())]
    context = {"faults": faults, "errors": errors, "form": form or {}}
    return render(request, "faults.html", context, session=session, active="faults", status_code=status_code)


@router.get("/faults")
async def faults(request: Request) -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login(request)
    back = ("/console/faults", "Back to the faults page")
    if refusal := refused_query(request, session, frozenset(), "the console's faults page", back):
        return refusal
    return await _faults_page(request, session)


@router.post("/faults")
async def create_fault(request: Request) -> Response:
    try:
        session, form = await checked_form(request)
    except BadRequest:  # a value that is not text: say so on the form, as for any other bad value
        refused_session = await signed_in(request)
        if refused_session is None:
            return to_login(request)
        return await _faults_page(request, refused_session, errors=[UNREADABLE_FORM], status_code=400)
    if session is None:
        return to_login(request)
    if form is None:
        return forbidden(request, session)
    given = {name: str(form.get(name, "")).strip() for name in _FAULT_FIELDS}
    body = {name: value for name, value in given.items() if value}
    try:
        spec = FaultFields.model_validate_strings(body)  # a form's text: "100" is a number here
    except ValidationError as exc:
        errors = [_in_words(error) for error in exc.errors()]
        return await _faults_page(request, session, errors=errors, form=given, status_code=400)
    try:
        await request.app.state.faults.create(spec.model_dump(), now=request.app.state.clock.now())
    except BadRequest as exc:  # what only the store can tell (a customer nobody is): on the form
        # Its words mark `userId` as code and quote nothing typed (the id is not repeated).
        marked = [markdown(exc.message)]
        return await _faults_page(request, session, errors=marked, form=given, status_code=400)
    return RedirectResponse("/console/faults", status_code=303)


#: Pydantic's errors for a number that is no number, or out of its bounds: the form says which
#: numbers it takes instead ("count: Input should be a valid integer, unable to parse string as an
#: integer" for 1.5, "probability: Input should be less than or equal to 1" for NaN).
_NUMBER_ERRORS = frozenset(
    {
        "int_parsing",
        "int_parsing_size",  # more than 4,300 digits: "exceeded maximum size" (QA of 2026-12-06)
        "int_type",
        "int_from_float",
        "float_parsing",
        "float_type",
        "finite_number",
        "greater_than_equal",
        "less_than_equal",
    }
)


def _in_words(error: ErrorDetails) -> str:
    """One fault-form error as the form's field and what it takes."""
    name = ".".join(str(part) for part in error["loc"]) or "fault"
    field = next((f for f in FaultFields.model_fields.values() if f.alias == name), None)
    bounds = {
        key: getattr(m, key)
        for m in (field.metadata if field else ())
        for key in ("ge", "le")
        if hasattr(m, key)
    }
    if error["type"] in _NUMBER_ERRORS and {"ge", "le"} <= bounds.keys() and field is not None:
        whole = field.annotation in (int, int | None)
        kind = "a whole number" if whole else "a number"
        low, high = (f"{bounds[key]:,}" if whole else f"{bounds[key]:g}" for key in ("ge", "le"))
        return f"{name}: enter {kind} from {low} to {high}, in digits."
    return f"{name}: {error['msg'].removeprefix('Value error, ')}"


@router.post("/faults/{fault_id}/delete")
async def delete_fault(fault_id: str, request: Request) -> Response:
    session, form = await checked_form(request)
    if session is None:
        return to_login(request)
    if form is None:
        return forbidden(request, session)
    if not await request.app.state.faults.delete(fault_id):
        missing = {
            "title": "Not found",
            "message": f"No fault {fault_id} (it may have been deleted already).",
        }
        return render(request, "message.html", missing, session=session, status_code=404)
    return RedirectResponse("/console/faults", status_code=303)


async def _clock_page(
    request: Request,
    session: ConsoleSession,
    *,
    error: str | None = None,
    typed: str = "",
    status_code: int = 200,
) -> Response:
    state = request.app.state
    await state.clock.refresh(state.engine, force=True)
    # A refused value stays in its field to be corrected, as on the fault form (it came back empty).
    context = {
        "now": iso(state.clock.now()),
        "offset": state.clock.offset_seconds,
        "error": error,
        "typed": typed,
    }
    return render(request, "clock.html", context, session=session, active="clock", status_code=status_code)


@router.get("/clock")
async def clock(request: Request) -> Response:
    session = await signed_in(request)
    if session is None:
        return to_login(request)
    back = ("/console/clock", "Back to the clock page")
    if refusal := refused_query(request, session, frozenset(), "the console's clock page", back):
        return refusal
    return await _clock_page(request, session)


@router.post("/clock")
async def advance_clock(request: Request) -> Response:
    session, form = await checked_form(request)
    if session is None:
        return to_login(request)
    if form is None:
        return forbidden(request, session)
    typed = str(form.get("seconds", "")).strip()
    seconds = float(typed) if _SECONDS.fullmatch(typed) else -1.0
    if not 0 < seconds <= MAX_ADVANCE_SECONDS:
        error = (
            f"Enter a number of seconds greater than 0 and at most {MAX_ADVANCE_SECONDS} (10 years), "
            "in digits with an optional decimal point, such as 3600 or 0.5 (the clock only moves forward)."
        )
        return await _clock_page(request, session, error=error, typed=typed, status_code=400)
    try:
        await request.app.state.clock.advance(request.app.state.engine, seconds)
    except BadRequest as exc:  # past the clock's total (core/clock.py MAX_OFFSET_YEARS)
        return await _clock_page(request, session, error=exc.message, typed=typed, status_code=400)
    # As POST /_localexa/clock: codes and access tokens a day past their expiry go (lwa/expired.py).
    await request.app.state.expired_sweeper.sweep()
    return RedirectResponse("/console/clock", status_code=303)
