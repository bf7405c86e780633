"""Health, readiness, metrics, and the observe-and-steer admin calls (README: Observe and steer):
the journal, faults, reset, snapshot and restore. All but health, ready and /metrics need the
admin key (../shared/spec/admin-api.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.responses import Response, StreamingResponse

from localexa.server.core import strict_json
from localexa.server.core.admin_route import AdminRoute
from localexa.server.core.auth import AdminKey
from localexa.server.core.clock import as_utc, iso
from localexa.server.core.deps import ClockDep
from localexa.server.core.errors import BadRequest, NotFound
from localexa.server.core.json_body import NOT_FINITE_MESSAGE, json_object
from localexa.server.core.message_parts import Parts, named
from localexa.server.core.openapi import component
from localexa.server.observe import state
from localexa.server.observe.faults import retry_after_sent
from localexa.server.observe.journal_query import build_filter, read_entry, read_page
from localexa.server.observe.metrics import CONTENT_TYPE
from localexa.server.observe.schemas import (
    FaultCreated,
    FaultIn,
    FaultOut,
    JournalEntryOut,
    JournalPage,
    NotReady,
    Ready,
    ResetOut,
    RestoreOut,
)
from localexa.server.observe.snapshot_rows import SNAPSHOT_DOCUMENT

router = APIRouter()
admin = APIRouter(prefix="/_localexa", tags=["admin"], dependencies=[AdminKey], route_class=AdminRoute)


@router.get("/_localexa/health", tags=["admin"])
async def health() -> dict[str, str]:
    """Ready when this answers 200 (admin-api.md). Needs no admin key."""
    return {"status": "ok"}


#: Documented by model, as the handler answers with JSONResponse (the document said `{}` and no
#: content for the 503 until 2026-12-06).
_READY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Ready, "description": "The database answers."},
    503: {"model": NotReady, "description": "The database is unreachable."},
}


@router.get("/_localexa/ready", tags=["admin"], responses=_READY_RESPONSES)
async def ready(request: Request) -> Response:
    """200 when the database answers `SELECT 1`, else 503 (for load balancers). No admin key."""
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        # Retry-After as every other 503 of an outage (db/outage.py; re-verification 2026-12-06).
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    return JSONResponse({"status": "ready", "database": "ok"})


@router.get("/metrics", include_in_schema=False)
async def prometheus(request: Request) -> Response:
    """Prometheus text format; no admin key (it holds route templates and counts, no data)."""
    metrics = request.app.state.metrics
    metrics.observe_process(request.app.state)
    return Response(metrics.render(), media_type=CONTENT_TYPE)


@admin.get("/journal", response_model=JournalPage, response_model_by_alias=True)
async def journal(
    request: Request,
    path: Annotated[str | None, Query(description="path prefix")] = None,
    status: Annotated[str | None, Query(description="503, or a class such as 5xx")] = None,
    customer: str | None = None,
    skill: str | None = None,
    caller: Annotated[
        str | None, Query(description="an LWA client id, `admin` or `localexa` (the entry's caller)")
    ] = None,
    region: str | None = None,
    direction: Annotated[str | None, Query(description="inbound or outbound")] = None,
    request_id: Annotated[str | None, Query(alias="requestId")] = None,
    since: Annotated[str | None, Query(description="ISO-8601, inclusive")] = None,
    until: Annotated[str | None, Query(description="ISO-8601, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> JournalPage:
    """Newest first. `nextCursor` continues with older entries."""
    # An unknown parameter (`method=HEAD`, a misspelt `reqestId`) and one given twice are 400s
    # naming them, as on every admin GET (core/admin_route.py `check_query`).
    where = build_filter(
        path=path,
        status=status,
        customer=customer,
        skill=skill,
        caller=caller,
        region=region,
        direction=direction,
        request_id=request_id,
        since=since,
        until=until,
    )
    return await read_page(request.app, where, limit=limit, cursor=cursor)


@admin.get("/journal/{entry_id}", response_model=JournalEntryOut, response_model_by_alias=True)
async def journal_entry(entry_id: int, request: Request) -> JournalEntryOut:
    # Ids are 64-bit signed in storage; a larger one cannot exist (and would overflow the driver).
    entry = await read_entry(request.app, entry_id) if 0 < entry_id < 2**63 else None
    if entry is None:
        raise NotFound(f"No journal entry {entry_id}.")
    return entry


def fault_out(row: dict[str, Any]) -> FaultOut:
    remaining = row["remaining"]
    return FaultOut(
        fault_id=row["id"],
        method=row["method"],
        path=row["path"],
        status=row["status"],
        delay_ms=row["delay_ms"],
        probability=row["probability"],
        count=row["count"],
        remaining=remaining,
        # What the fault's answers carry: none on a 404 given one, 1 on a 429 given none.
        retry_after=retry_after_sent(row["status"], row["retry_after"]),
        customer=row["customer"],
        skill=row["skill"],
        region=row["region"],
        seed=row["seed"],
        matched=row["matched"],
        fired=row["fired"],
        active=remaining is None or remaining > 0,
        created_at=iso(as_utc(row["created_at"])),
    )


@admin.post("/faults", status_code=201, response_model=FaultCreated, response_model_by_alias=True)
async def create_fault(body: FaultIn, request: Request, clock: ClockDep) -> FaultCreated:
    values = body.model_dump(by_alias=False)
    fault_id = await request.app.state.faults.create(values, now=clock.now())
    return FaultCreated(fault_id=fault_id)


@admin.get("/faults", response_model=list[FaultOut], response_model_by_alias=True)
async def list_faults(request: Request) -> list[FaultOut]:
    return [fault_out(row) for row in await request.app.state.faults.listing()]


@admin.delete("/faults/{fault_id}", status_code=204)
async def delete_fault(fault_id: str, request: Request) -> Response:
    if not await request.app.state.faults.delete(fault_id):
        raise NotFound(Parts.of("No fault ", *named(fault_id), "."))
    return Response(status_code=204)


RESET_TAKES_NO_OPTIONS = "POST /_localexa/reset takes no options: send no body, or {}."
SNAPSHOT_TAKES_NO_OPTIONS = "POST /_localexa/snapshot takes no options: send no body, or {}."


def _refuse_options(raw: bytes, takes_none: str, nothing_done: str) -> None:
    """A body that is empty, white space (whatever the Content-Type) or `{}`; else BadRequest:
    `takes_none`, what the body says, then `nothing_done`."""
    if not raw.strip():
        return
    try:
        body = json_object(raw, shape="{}")
    except BadRequest as refused:
        said = refused.message.rstrip()
        said += "" if said.endswith(".") else "."
        raise BadRequest(f"{takes_none} {said} {nothing_done}") from None
    if body:
        names = ", ".join(name[:40] for name in list(body)[:5])
        raise BadRequest(f"{takes_none} The body gives: {names}. {nothing_done}")


def refuse_reset_options(raw: bytes) -> None:
    """A reset's body must be empty or `{}` (since 2026-12-06): one with fields (`{"keepSkills":
    true}`), or that is not a JSON object, was taken and ignored, and everything was erased anyway.
    White space alone is no body, whatever the Content-Type. Every refusal ends "Nothing was
    reset." (since the evening of 2026-12-06; one about the JSON itself did not say it)."""
    _refuse_options(raw, RESET_TAKES_NO_OPTIONS, "Nothing was reset.")


def refuse_snapshot_options(raw: bytes) -> None:
    """A snapshot's body must be empty or `{}`, as a reset's (since 2026-12-07, review36e F4): one
    with fields (`{"tables": ["customers"]}`), or not JSON at all, was taken and ignored, and the
    whole state answered. Every refusal ends "No snapshot was taken."."""
    _refuse_options(raw, SNAPSHOT_TAKES_NO_OPTIONS, "No snapshot was taken.")


@admin.post("/reset", response_model=ResetOut)
async def reset(request: Request, clock: ClockDep) -> ResetOut:
    """Empties all state; keeps the admin key and the server secret. Takes no body (or `{}`)."""
    refuse_reset_options(await request.body())
    await state.reset(request.app)
    return ResetOut(reset=True, now=iso(clock.now()))


#: One component, `Snapshot`, for the answer of snapshot and the body of restore.
_SNAPSHOT = component("Snapshot", SNAPSHOT_DOCUMENT)
_SNAPSHOT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The snapshot.", "content": {"application/json": {"schema": _SNAPSHOT}}}
}
#: The body, documented by hand: the route reads it itself (strictly, below).
_RESTORE_OPENAPI: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": _SNAPSHOT}}}
}


@admin.post("/snapshot", response_model=None, responses=_SNAPSHOT_RESPONSES)
async def snapshot(request: Request) -> StreamingResponse:
    """Every table but the journal, as one JSON document `restore` accepts. Takes no body (or `{}`)."""
    refuse_snapshot_options(await request.body())
    # Written as it is read, table by table, in batches (observe/snapshot_stream.py): built whole
    # first, a snapshot of 1.3 million rows held over 2.2 GB (bench/big_state.py, 2026-12-07). The
    # key's 409 comes before the first byte; a failure after it cuts the answer short.
    return StreamingResponse(await state.snapshot_stream(request.app), media_type="application/json")


@admin.post("/restore", response_model=RestoreOut, openapi_extra=_RESTORE_OPENAPI)
async def restore(request: Request) -> RestoreOut:
    """Replaces all state with a snapshot's, in one transaction."""
    try:
        # Strict: nesting past the parser's depth was a RecursionError (a 500), and NaN, Infinity
        # or a lone surrogate would reach the database, which cannot store them.
        # A key given twice (two `version`s, two values for a column) is refused, as in every
        # admin body (core/admin_route.py): which one was meant?
        raw = await request.body()
        if not raw.strip():  # as every other admin body says (core/admin_route.py)
            raise BadRequest(
                "The request body is required: a snapshot (what POST /_localexa/snapshot answers)."
            )
        document = strict_json.loads(raw, unique_keys=True)
    except strict_json.RepeatedKey as repeated:
        raise BadRequest(f"The body gives the key {repeated.name} more than once in one object.") from None
    except strict_json.TooDeep:
        raise BadRequest(strict_json.TOO_DEEP_MESSAGE) from None
    except strict_json.TooLongNumber:
        raise BadRequest(strict_json.too_long_number_message("The body")) from None
    except strict_json.NonFiniteNumber:  # as every other admin body says (core/json_body.py)
        raise BadRequest(NOT_FINITE_MESSAGE) from None
    except ValueError as exc:  # UnicodeDecodeError and strict_json's refusals are ValueErrors
        raise BadRequest("The body is not valid JSON.") from exc
    restored = await state.restore(request.app, document)
    # A snapshot's codes and access tokens a day past their expiry by the restored clock go now,
    # not at the next hourly sweep (lwa/expired.py; a failed sweep is logged, the restore stands).
    sweeper = getattr(request.app.state, "expired_sweeper", None)
    if sweeper is not None:
        await sweeper.sweep()
    return RestoreOut(restored=restored)


router.include_router(admin)
