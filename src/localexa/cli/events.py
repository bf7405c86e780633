"""`localexa events send`: post one event message to the Alexa event gateway (`POST /v3/events`).

    localexa --token "$EVENT_TOKEN" events send change-report.json
    cat change-report.json | localexa --token "$EVENT_TOKEN" events send --region EU

The file holds `{"event": {...}, "context": {...}}` (spec alexa-api-surface.md §4); `--token` is the
customer's event token from the AcceptGrant exchange (the skill's messaging client). The gateway
answers 202; errors carry its codes (SKILL_DISABLED_EXCEPTION, INVALID_ACCESS_TOKEN_EXCEPTION …).
"""

from __future__ import annotations

from typing import Annotated

import typer

from localexa.cli.context import state
from localexa.cli.options import (
    REGION_METAVAR,
    JsonOption,
    RegionName,
    TokenOption,
    parse_region,
    read_json_object,
)
from localexa.cli.output import emit

events = typer.Typer(no_args_is_help=True, add_completion=False)


@events.callback()
def events_group() -> None:
    """Send events to the Alexa event gateway."""


@events.command()
def send(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="A JSON file with the event, or - for stdin.")] = "-",
    region: Annotated[
        RegionName,
        typer.Option(
            help="The customer's region (its gateway host).", parser=parse_region, metavar=REGION_METAVAR
        ),
    ] = RegionName.NA,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Send one event (ChangeReport, AddOrUpdateReport, an asynchronous Response …)."""
    cli = state(ctx, json_output=json_output)
    event = read_json_object(source if source == "-" else "@" + source, "the event")
    if not isinstance(event.get("event"), dict):
        raise typer.BadParameter(
            'an event message is {"event": {...}, "context": {...}}', param_hint="SOURCE"
        )
    header = event["event"].get("header") or {}
    name = f"{header.get('namespace', '?')}.{header.get('name', '?')}"
    with cli.client(token=token) as client:
        client.events.send(event, region=region.value)
    emit({"accepted": True, "event": name}, as_json=cli.json, text=f"accepted: {name}")
