"""The observe-and-steer part of `localexa admin`: faults, journal, directives, reset, snapshots,
health (the server's README: Observe and steer; Directives).

    localexa admin faults create --path "/v1/skills/*/credentials" --status 503 --count 1
    localexa admin journal list --status 5xx --limit 20
    localexa admin directives send --user-id … --skill-id … --namespace Alexa.PowerController \
        --name TurnOn --endpoint-id lamp
    localexa admin directives messages USER_ID SKILL_ID --limit 50
    localexa admin directives discover USER_ID SKILL_ID
    localexa admin reset --yes
    localexa admin snapshot -o state.json && localexa admin restore state.json
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from localexa.cli.admin_snapshot import snapshot
from localexa.cli.context import state
from localexa.cli.options import (
    JournalTimeOption,
    JsonOption,
    QuietOption,
    RegionFilterOption,
    read_json_object,
    region_literal,
)
from localexa.cli.output import Column, ExitCode, emit, print_error, rows_of
from localexa.client import APIStatusError

if TYPE_CHECKING:  # the client is imported when a command runs (cold start of `localexa`)
    from localexa.client.types.directives import DirectiveResult

faults = typer.Typer(no_args_is_help=True, help="Make chosen calls fail or slow down.")
journal = typer.Typer(no_args_is_help=True, help="Every recorded call, newest first.")
directives = typer.Typer(no_args_is_help=True, help="Talk to a customer's skill as Alexa does.")

FAULT_COLUMNS = [
    Column.attr("faultId", "fault_id", identifier=True),
    Column.attr("method", "method"),
    Column.attr("path", "path"),
    Column.attr("status", "status"),
    Column.attr("delayMs", "delay_ms"),
    Column.attr("remaining", "remaining"),
    Column.attr("fired", "fired"),
    Column.attr("active", "active"),
]
JOURNAL_COLUMNS = [
    Column.attr("id", "id", identifier=True),
    Column.attr("time", "time"),
    Column.attr("direction", "direction"),
    Column.attr("method", "method"),
    Column("path", lambda e: e.path or e.url),
    Column.attr("status", "status"),
    Column.attr("requestId", "request_id", identifier=True),
]
ENDPOINT_COLUMNS = [
    Column.attr("endpointId", "endpoint_id", identifier=True),
    Column.attr("friendlyName", "friendly_name"),
    Column.attr("categories", "display_categories"),
    Column("state", lambda e: ", ".join(f"{k}={v}" for k, v in e.state.items())),
]
MESSAGE_COLUMNS = [
    Column.attr("id", "id", identifier=True),
    Column.attr("at", "at"),
    Column.attr("direction", "direction"),
    Column.attr("namespace", "namespace"),
    Column.attr("name", "name"),
    Column.attr("endpointId", "endpoint_id", identifier=True),
    Column.attr("exchangeId", "exchange_id", identifier=True),
    Column.attr("latencyMs", "latency_ms"),
]


def register(admin: typer.Typer) -> None:
    admin.add_typer(faults, name="faults")
    admin.add_typer(journal, name="journal")
    admin.add_typer(directives, name="directives")
    for command in (reset, snapshot, restore, health):
        admin.command()(command)


# -- faults --------------------------------------------------------------------------------------


@faults.command("create")
def create_fault(
    ctx: typer.Context,
    path: Annotated[str, typer.Option(help="Exact path, or with * / {param} / ** wildcards.")],
    status: Annotated[int | None, typer.Option(min=400, max=599, help="Answer this status.")] = None,
    method: Annotated[str | None, typer.Option(help="Only this method (default: any).")] = None,
    delay_ms: Annotated[
        int | None, typer.Option(min=0, max=60_000, help="Wait this long first (ms).")
    ] = None,
    probability: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Share of calls that fault.")
    ] = None,
    count: Annotated[
        int | None,
        typer.Option(min=1, max=1_000_000_000, help="Retire after this many (default: forever)."),
    ] = None,
    retry_after: Annotated[
        int | None,
        typer.Option(min=1, max=86_400, help="Retry-After seconds: on a 429 (default 1), a 413 or a 5xx."),
    ] = None,
    customer: Annotated[str | None, typer.Option(help="Only calls of this customer (userId).")] = None,
    skill: Annotated[str | None, typer.Option(help="Only calls about this skill.")] = None,
    region: RegionFilterOption = None,
    seed: Annotated[int | None, typer.Option(help="Makes the probability draws repeat.")] = None,
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """Add a fault rule."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        created = client.admin.faults.create(
            path=path,
            status=status,
            method=method,
            delay_ms=delay_ms,
            probability=probability,
            count=count,
            retry_after=retry_after,
            customer=customer,
            skill=skill,
            region=region_literal(region) if region else None,
            seed=seed,
        )
    emit(created, as_json=cli.json, quiet=created.fault_id if quiet else None, text=created.fault_id)


@faults.command("list")
def list_faults(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Every fault rule, with how often it matched and fired."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        found = client.admin.faults.list()
    emit(found, as_json=cli.json, columns=FAULT_COLUMNS, title="Faults")


@faults.command("delete")
def delete_fault(ctx: typer.Context, fault_id: str, json_output: JsonOption = False) -> None:
    """Remove a fault rule (exit 3 when unknown)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        client.admin.faults.delete(fault_id)
    emit({"faultId": fault_id, "deleted": True}, as_json=cli.json, text=f"deleted {fault_id}")


# -- journal -------------------------------------------------------------------------------------


@journal.command("list")
def list_journal(
    ctx: typer.Context,
    path: Annotated[str | None, typer.Option(help="Path prefix.")] = None,
    status: Annotated[str | None, typer.Option(help="A status (503) or a class (5xx).")] = None,
    customer: Annotated[str | None, typer.Option(help="A customer's userId.")] = None,
    skill: Annotated[str | None, typer.Option(help="A skill id.")] = None,
    caller: Annotated[
        str | None, typer.Option(help="The caller: a token's LWA client id, admin or localexa.")
    ] = None,
    region: RegionFilterOption = None,
    direction: Annotated[str | None, typer.Option(help="inbound or outbound.")] = None,
    request_id: Annotated[str | None, typer.Option(help="The X-Amzn-RequestId of a call.")] = None,
    since: JournalTimeOption = None,
    until: JournalTimeOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many entries.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """Recorded calls, newest first (bodies with `journal get ID` or --json)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        pager = client.admin.journal.list(
            path=path,
            status=status,
            customer=customer,
            skill=skill,
            caller=caller,
            region=region_literal(region) if region else None,
            direction=direction,
            request_id=request_id,
            since=since,
            until=until,
            limit=min(limit, 1000),
        )
        entries = rows_of(pager, limit)
    emit(entries, as_json=cli.json, columns=JOURNAL_COLUMNS, title="Journal")


@journal.command("get")
def get_journal_entry(ctx: typer.Context, entry_id: int, json_output: JsonOption = False) -> None:
    """One recorded call with its headers and bodies (redacted)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        entry = client.admin.journal.get(entry_id)
    emit(entry, as_json=cli.json)


# -- directives ----------------------------------------------------------------------------------


@directives.command("send")
def send_directive(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Option(help="The customer who linked the skill.")],
    skill_id: Annotated[str, typer.Option(help="The skill.")],
    namespace: Annotated[str, typer.Option(help="e.g. Alexa.PowerController.")],
    name: Annotated[str, typer.Option(help="e.g. TurnOn.")],
    endpoint_id: Annotated[str | None, typer.Option(help="The device's endpointId.")] = None,
    payload: Annotated[str | None, typer.Option(help="Payload: inline JSON, @file.json or -.")] = None,
    instance: Annotated[str | None, typer.Option(help="Instance of a Mode/Range/Toggle controller.")] = None,
    cookie: Annotated[
        str | None, typer.Option(help="endpoint.cookie: inline JSON, @file.json or - (default: discovery's).")
    ] = None,
    correlation_token: Annotated[
        str | None, typer.Option(help="header.correlationToken (default: a new one).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Send a directive with the customer's linked token; print the skill's answer and its verdict."""
    cli = state(ctx, json_output=json_output)
    body = read_json_object(payload, "--payload") if payload else None
    endpoint_cookie = read_json_object(cookie, "--cookie") if cookie else None
    with cli.client(admin=True) as client:
        result = client.admin.directives.send(
            user_id=user_id,
            skill_id=skill_id,
            namespace=namespace,
            name=name,
            endpoint_id=endpoint_id,
            payload=body,
            instance=instance,
            cookie=endpoint_cookie,
            correlation_token=correlation_token,
        )
    _emit_directive(result, as_json=cli.json)


def _emit_directive(result: DirectiveResult, *, as_json: bool) -> None:
    """The skill's answer to a directive: whole with --json, else what was sent back and its verdict."""
    summary = {
        "exchangeId": result.exchange_id,
        "answer": result.verdict.name,
        "valid": result.verdict.valid,
        "errorType": result.verdict.error_type,
        # A problem of the whole exchange has no path (the skill could not be reached): its
        # message alone; `f"{path}: …"` printed it as `problems  : http://…` (revo D2).
        "problems": [f"{p.path}: {p.message}" if p.path else p.message for p in result.verdict.problems],
        "error": f"{result.error.type}: {result.error.message}" if result.error else None,
        "latencyMs": result.latency_ms,
    }
    emit(result if as_json else summary, as_json=as_json, title="Directive")


@directives.command("discover")
def rediscover(ctx: typer.Context, user_id: str, skill_id: str, json_output: JsonOption = False) -> None:
    """Send Alexa.Discovery.Discover again; print the skill's answer and its verdict."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        result = client.admin.directives.discover(user_id, skill_id)
    _emit_directive(result, as_json=cli.json)


@directives.command("accept-grant")
def accept_grant(ctx: typer.Context, user_id: str, skill_id: str, json_output: JsonOption = False) -> None:
    """Send Alexa.Authorization.AcceptGrant again (a fresh grant code); print the skill's answer."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        result = client.admin.directives.accept_grant(user_id, skill_id)
    _emit_directive(result, as_json=cli.json)


@directives.command("messages")
def list_messages(
    ctx: typer.Context,
    user_id: str,
    skill_id: str,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many messages.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """Directives, answers and events between Alexa and the skill for this customer (bodies with --json)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        found = rows_of(
            client.admin.directives.messages(user_id, skill_id, max_results=min(limit, 500)), limit
        )
    emit(found, as_json=cli.json, columns=MESSAGE_COLUMNS, title="Messages")


@directives.command("endpoints")
def discovered_endpoints(
    ctx: typer.Context,
    user_id: str,
    skill_id: str,
    # At most 60, the admin API's bound on waitSeconds: `--wait inf` or `--wait 100` went to the
    # server, whose 400 exited 1 (a usage error in the CLI's words, exit 2, since 2026-12-06).
    wait: Annotated[
        float | None,
        typer.Option(
            min=0, max=60, help="Wait up to this many seconds (at most 60) for Discover after a link."
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """The customer's discovered endpoints with their last known state."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        found = client.admin.directives.endpoints(user_id, skill_id, wait_seconds=wait)
    emit(
        found if cli.json else found.endpoints, as_json=cli.json, columns=ENDPOINT_COLUMNS, title="Endpoints"
    )


# -- the whole state -----------------------------------------------------------------------------


def reset(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Erase all state: customers, skills, tokens, networks, faults, the journal; the clock too."""
    cli = state(ctx, json_output=json_output)
    if not yes:
        if sys.stdin is None or not sys.stdin.isatty():  # no terminal to ask on (`<&-` too)
            raise typer.BadParameter("reset erases everything; pass --yes to confirm", param_hint="--yes")
        typer.confirm(f"Erase all state of {cli.url}?", abort=True)
    with cli.client(admin=True) as client:
        result = client.admin.reset()
    emit(result, as_json=cli.json, text="reset")


def restore(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A snapshot file, or - for stdin.")],
    json_output: JsonOption = False,
) -> None:
    """Replace all state with a snapshot's (the same server secret key is needed)."""
    cli = state(ctx, json_output=json_output)
    document = read_json_object(source if source == "-" else "@" + source, "the snapshot")
    with cli.client(admin=True) as client:
        result = client.admin.restore(document)
    rows = [{"table": name, "rows": count} for name, count in sorted(result.restored.items())]
    columns = [Column("table", lambda r: r["table"]), Column("rows", lambda r: r["rows"])]
    emit(result if cli.json else rows, as_json=cli.json, columns=columns, title="Restored")


def health(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Whether localexa answers healthy and ready (exit 0) or not (exit 6: no answer, or any
    other answer, such as another server's 404); needs no admin key."""
    cli = state(ctx, json_output=json_output)
    try:
        with cli.client(anonymous=True) as client:
            client.admin.health()
            client.admin.ready()
    except APIStatusError as error:
        # Any answer but localexa's "ok" is "not healthy" (6), as the help says: another server on
        # that port answered 404 and health exited 3, "not found" (QA of 2026-12-06).
        print_error(error, as_json=cli.json)
        raise typer.Exit(int(ExitCode.UNAVAILABLE)) from None
    emit({"health": "ok", "ready": True, "url": cli.url}, as_json=cli.json, text=f"{cli.url}: ok")
