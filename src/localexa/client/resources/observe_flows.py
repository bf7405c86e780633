"""localexa's observe-and-steer admin calls as flows: journal, faults, reset, snapshot, restore
(README: Observe and steer)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localexa.client._core import Flow, Params, call, expect_no_content, json_body, parse_model, segment
from localexa.client._endpoints import Region
from localexa.client._errors import APIConnectionError, APIResponseValidationError, ConfigurationError
from localexa.client._pagination import Page, Paged
from localexa.client.resources.admin_flows import admin_request, parse_list
from localexa.client.resources.snapshot_writer import SnapshotWriter
from localexa.client.types.admin import (
    Fault,
    FaultCreated,
    JournalEntry,
    JournalPage,
    RegionName,
    ResetResult,
    RestoreResult,
    SnapshotWritten,
)


def list_journal(
    *,
    path: str | None = None,
    status: int | str | None = None,
    customer: str | None = None,
    skill: str | None = None,
    caller: str | None = None,
    region: RegionName | None = None,
    direction: str | None = None,
    request_id: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Paged[JournalEntry]:
    """`GET /_localexa/journal`: recorded calls, newest first, filtered (`path` is a prefix,
    `status` a code or a class such as "5xx", `direction` inbound or outbound, `caller` the
    token's LWA client id, "admin" or "localexa")."""
    filters: dict[str, str | int | float | None] = {
        "path": path,
        "status": status,
        "customer": customer,
        "skill": skill,
        "caller": caller,
        "region": None if region is None else Region(region).value,  # any case, as events.send
        "direction": direction,
        "requestId": request_id,
        "since": since.isoformat() if isinstance(since, datetime) else since,
        "until": until.isoformat() if isinstance(until, datetime) else until,
        "limit": limit,
    }

    def fetch(page_cursor: str | None) -> Flow[Page[JournalEntry]]:
        params: Params = {**filters, "cursor": page_cursor}
        response = yield from call(admin_request("GET", "/journal", params=params))
        page = parse_model(response, JournalPage)
        return Page(items=page.entries, next_token=page.next_cursor)

    return Paged(fetch, start=cursor)


def get_journal_entry(entry_id: int) -> Flow[JournalEntry]:
    """`GET /_localexa/journal/{id}`: one recorded call, by its `id` (a whole number)."""
    response = yield from call(admin_request("GET", f"/journal/{_journal_entry_id(entry_id)}"))
    return parse_model(response, JournalEntry)


def _journal_entry_id(entry_id: int | str) -> int:
    """`entry_id` as the whole number journal ids are; digits as text too (a CLI argument). Else
    ConfigurationError: `int()` raised a bare ValueError outside the client's errors for "abc",
    and turned 1.5 into entry 1 (or True into entry 1) without a word."""
    if isinstance(entry_id, int) and not isinstance(entry_id, bool):
        return entry_id
    if isinstance(entry_id, str) and entry_id.strip().isascii() and entry_id.strip().isdigit():
        return int(entry_id)
    raise ConfigurationError(f"{entry_id!r} is not a journal entry id: ids are whole numbers.")


def create_fault(
    *,
    path: str,
    status: int | None = None,
    method: str | None = None,
    delay_ms: int | None = None,
    probability: float | None = None,
    count: int | None = None,
    retry_after: int | None = None,
    customer: str | None = None,
    skill: str | None = None,
    region: RegionName | None = None,
    seed: int | None = None,
) -> Flow[FaultCreated]:
    """`POST /_localexa/faults`: make matching calls answer `status` (e.g. 429/500/503, with
    `retry_after`) and/or wait `delay_ms`, with a `probability`, `count` times (None: forever)."""
    body = {
        "path": path,
        "status": status,
        "method": method,
        "delayMs": delay_ms,
        "probability": probability,
        "count": count,
        "retryAfter": retry_after,
        "customer": customer,
        "skill": skill,
        "region": None if region is None else Region(region).value,  # any case, as events.send
        "seed": seed,
    }
    response = yield from call(
        admin_request("POST", "/faults", json={k: v for k, v in body.items() if v is not None})
    )
    return parse_model(response, FaultCreated)


def list_faults() -> Flow[list[Fault]]:
    """`GET /_localexa/faults`: every rule, with how often it matched and fired."""
    response = yield from call(admin_request("GET", "/faults"))
    return parse_list(response, Fault)


def delete_fault(fault_id: str) -> Flow[None]:
    """`DELETE /_localexa/faults/{id}` (204); NotFoundError for a rule that does not exist, unless
    an earlier attempt of this call may have deleted it (its answer lost): then it is done."""
    expect_no_content(
        (yield from call(admin_request("DELETE", f"/faults/{segment(fault_id)}", gone_is_done=True)))
    )


def reset() -> Flow[ResetResult]:
    """`POST /_localexa/reset`: empty all state (the admin key and server secret stay)."""
    response = yield from call(admin_request("POST", "/reset", idempotent=True))
    return parse_model(response, ResetResult)


def snapshot() -> Flow[dict[str, Any]]:
    """`POST /_localexa/snapshot`: every table but the journal, as one JSON document."""
    response = yield from call(admin_request("POST", "/snapshot", idempotent=True))
    body = json_body(response)
    if not isinstance(body, dict) or body.get("format") != "localexa.snapshot":
        raise APIResponseValidationError(
            "/_localexa/snapshot answered no localexa snapshot.", response=response
        )
    return body


def snapshot_to(path: str | os.PathLike[str]) -> Flow[SnapshotWritten]:
    """`POST /_localexa/snapshot` written to the file `path` as it arrives, never held whole:
    beside it first (owner-only), renamed over it once whole (snapshot_writer.py). Answers the
    path and the bytes written. A path that cannot be written is an OSError before the call; an
    answer that is no snapshot APIResponseValidationError, and one cut short APIConnectionError:
    either leaves `path` as it was (a device or pipe has been written in part)."""
    writer = SnapshotWriter(path)
    try:
        yield from call(admin_request("POST", "/snapshot", idempotent=True, into=writer))
        return writer.commit()
    except APIConnectionError as error:
        writer.discard()
        if not writer.started:  # no answer at all: the runner's error says it
            raise
        left = f"{path} was left as it was" if writer.replaces else f"{path} was written in part"
        # The runner's words say where, and what httpx saw ("incomplete chunked read").
        raise APIConnectionError(
            f"The snapshot's answer was cut short after {writer.size} bytes ({error.message}); {left}.",
            request=error.request,
        ) from None
    except BaseException:
        writer.discard()
        raise


def restore(document: Mapping[str, Any]) -> Flow[RestoreResult]:
    """`POST /_localexa/restore`: replace all state with a snapshot's, in one transaction."""
    response = yield from call(admin_request("POST", "/restore", json=dict(document), idempotent=True))
    return parse_model(response, RestoreResult)
