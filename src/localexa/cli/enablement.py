"""`localexa skill …`: Skill Enablement and Skill Credentials through the client.

Developer (SMAPI, spec alexa-api-surface.md §1.1 and §1.4; `--token` is the developer's LWA
token with `alexa::ask:skills:readwrite`):

    localexa skill enable SKILL_ID [--stage development|live]
    localexa skill status SKILL_ID          exit 0 when enabled, 3 when not
    localexa skill disable SKILL_ID
    localexa skill credentials SKILL_ID
    localexa skill linking get|update|delete SKILL_ID   account-linking configuration (linking.py)

Customer (app-to-app account linking, §1.2; `--token` is the customer's LWA token with
`alexa::skills:account_linking`; the client finds the customer's region through
`/v1/alexaApiEndpoint`):

    localexa skill enable-and-link SKILL_ID --auth-code CODE --redirect-uri URI
    localexa skill link-status SKILL_ID
    localexa skill unlink SKILL_ID
    localexa skill api-endpoints
"""

from __future__ import annotations

from typing import Annotated

import typer

from localexa.cli.context import state
from localexa.cli.linking import linking
from localexa.cli.options import JsonOption, SkillId, StageName, StageOption, TokenOption, stage_literal
from localexa.cli.output import Column, emit
from localexa.client import NotFoundError
from localexa.client.types import CustomerEnablement

skill = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Enable a skill (developer), link it (customer), read its credentials.",
)
skill.add_typer(linking, name="linking")

EndpointOption = Annotated[
    str | None,
    typer.Option(help="The customer's API endpoint (host[:port]); default: ask /v1/alexaApiEndpoint."),
]


def _stage_record(skill_id: str, stage: StageName, enabled: bool) -> dict[str, object]:
    return {"skillId": skill_id, "stage": stage.value, "enabled": enabled}


def _emit_stage(skill_id: str, stage: StageName, *, enabled: bool, as_json: bool) -> None:
    """What `enable`, `disable` and `status` print: the record, or `ID: stage enabled|disabled`."""
    word = "enabled" if enabled else "disabled"
    emit(_stage_record(skill_id, stage, enabled), as_json=as_json, text=f"{skill_id}: {stage.value} {word}")


@skill.command()
def enable(
    ctx: typer.Context,
    skill_id: SkillId,
    stage: StageOption = StageName.development,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Enable a stage of the skill for the developer (the other stage is disabled)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        client.enablement.enable(skill_id, stage_literal(stage))
    _emit_stage(skill_id, stage, enabled=True, as_json=cli.json)


@skill.command()
def disable(
    ctx: typer.Context,
    skill_id: SkillId,
    stage: StageOption = StageName.development,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Disable a stage of the skill for the developer."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        client.enablement.disable(skill_id, stage_literal(stage))
    _emit_stage(skill_id, stage, enabled=False, as_json=cli.json)


@skill.command()
def status(
    ctx: typer.Context,
    skill_id: SkillId,
    stage: StageOption = StageName.development,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Whether the stage is enabled for the developer: exit 0 when it is, 3 when it is not."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        try:
            client.enablement.get(skill_id, stage_literal(stage))
        except NotFoundError as error:
            emit(
                {**_stage_record(skill_id, stage, False), "message": error.message},
                as_json=cli.json,
                text=f"{skill_id}: {stage.value} not enabled ({error.message})",
            )
            raise typer.Exit(3) from None
    _emit_stage(skill_id, stage, enabled=True, as_json=cli.json)


@skill.command()
def credentials(
    ctx: typer.Context, skill_id: SkillId, token: TokenOption = None, json_output: JsonOption = False
) -> None:
    """The skill's messaging credentials (client id and secret, for AcceptGrant and events)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        found = client.credentials.get(skill_id)
    messaging = found.skill_messaging_credentials
    emit(
        found,
        as_json=cli.json,
        text=f"clientId     {messaging.client_id}\nclientSecret {messaging.client_secret}",
    )


_RECORD_COLUMNS = [
    Column("skill", lambda r: r.skill.id, identifier=True),
    Column("stage", lambda r: r.skill.stage),
    Column("user", lambda r: r.user.id, identifier=True),
    Column("status", lambda r: r.status),
    Column("account link", lambda r: r.account_link.status if r.account_link else None),
]


def _show_record(record: CustomerEnablement, as_json: bool) -> None:
    emit(record if as_json else [record], as_json=as_json, columns=_RECORD_COLUMNS)


@skill.command("enable-and-link")
def enable_and_link(
    ctx: typer.Context,
    skill_id: SkillId,
    auth_code: Annotated[str, typer.Option(help="The code your OAuth server issued to your app.")],
    redirect_uri: Annotated[str, typer.Option(help="The redirect URI that code was issued for.")],
    stage: StageOption = StageName.development,
    code_verifier: Annotated[str | None, typer.Option(help="PKCE verifier of that code, if any.")] = None,
    endpoint: EndpointOption = None,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Enable the skill for the customer and link the account (POST …/~current/skills/…/enablement)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        record = client.customer_enablement.enable_and_link(
            skill_id,
            auth_code=auth_code,
            redirect_uri=redirect_uri,
            stage=stage_literal(stage),
            code_verifier=code_verifier,
            endpoint=endpoint,
        )
    _show_record(record, cli.json)


@skill.command("link-status")
def link_status(
    ctx: typer.Context,
    skill_id: SkillId,
    endpoint: EndpointOption = None,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """The customer's enablement and account-link status (exit 3 when not enabled)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        record = client.customer_enablement.get(skill_id, endpoint=endpoint)
    _show_record(record, cli.json)


@skill.command()
def unlink(
    ctx: typer.Context,
    skill_id: SkillId,
    endpoint: EndpointOption = None,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Disable the skill for the customer and unlink the account."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        client.customer_enablement.disable(skill_id, endpoint=endpoint)
    emit({"skillId": skill_id, "enabled": False}, as_json=cli.json, text=f"{skill_id}: disabled and unlinked")


@skill.command("api-endpoints")
def api_endpoints(ctx: typer.Context, token: TokenOption = None, json_output: JsonOption = False) -> None:
    """The customer's Alexa API endpoints (GET /v1/alexaApiEndpoint), one per line."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        endpoints = client.customer_enablement.api_endpoints()
    emit({"endpoints": endpoints}, as_json=cli.json, text="\n".join(endpoints))
