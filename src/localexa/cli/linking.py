"""`localexa skill linking …`: a skill's account-linking configuration through the client (SMAPI
`/v1/skills/{skillId}/stages/{stage}/accountLinkingClient`, spec §5; `--token` is the developer's
LWA token, `alexa::ask:skills:readwrite`, or `alexa::ask:skills:read` for `get`):

    localexa skill linking get SKILL_ID [--stage development|live]     the config and its ETag
    localexa skill linking update SKILL_ID --file FILE [--if-match ETAG] [-q]
    localexa skill linking delete SKILL_ID

`update` reads the payload (`{"type": "AUTH_CODE", "authorizationUrl": …}`) or SMAPI's wrapped
body (`{"accountLinkingRequest": {…}}`) from FILE (`-`: stdin); the server validates it. What
`get --json` prints goes back in as it is: its `etag` key is no payload field and is not sent
(pass it to `--if-match` to make the update conditional). A stale `--if-match` exits 1 (412).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from localexa.cli.context import state
from localexa.cli.options import (
    JsonOption,
    QuietOption,
    SkillId,
    StageName,
    StageOption,
    TokenOption,
    read_json_object,
    stage_literal,
)
from localexa.cli.output import emit, to_jsonable

linking = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Read, replace or remove a skill's account-linking configuration (developer, SMAPI).",
)

WRAPPER = "accountLinkingRequest"


def _payload(source: str) -> dict[str, Any]:
    document = read_json_object(source if source == "-" else "@" + source, "--file")
    if WRAPPER in document:
        inner = document[WRAPPER]
        if not isinstance(inner, dict) or len(document) != 1:
            raise typer.BadParameter(f'--file must hold the payload or {{"{WRAPPER}": {{…}}}} alone.')
        document = inner
    # `get --json` adds the ETag beside the fields; it is the version, not part of the config.
    document.pop("etag", None)
    return document


@linking.command()
def get(
    ctx: typer.Context,
    skill_id: SkillId,
    stage: StageOption = StageName.development,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """The stage's account-linking configuration (never its client secret) and its ETag."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        config = client.account_linking.get(skill_id, stage_literal(stage))
    emit({**to_jsonable(config), "etag": config.etag}, as_json=cli.json)


@linking.command()
def update(
    ctx: typer.Context,
    skill_id: SkillId,
    file: Annotated[
        str, typer.Option("--file", "-f", help="JSON payload or {accountLinkingRequest: …}; - is stdin.")
    ],
    stage: StageOption = StageName.development,
    if_match: Annotated[
        str | None, typer.Option("--if-match", help="Only if the config is still this ETag (from get).")
    ] = None,
    token: TokenOption = None,
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """Replace the configuration (development stage); without clientSecret the stored one is kept."""
    cli = state(ctx, json_output=json_output)
    payload = _payload(file)  # before any request: a bad file is a usage error (exit 2)
    with cli.client(token=token) as client:
        etag = client.account_linking.update(skill_id, payload, stage_literal(stage), if_match=if_match)
    # No ETag: never from localexa, possible from Amazon (the client's `update` says why).
    version = (
        f"etag {etag}"
        if etag is not None
        else "the answer carried no ETag: `skill linking get` reads the new one"
    )
    emit(
        {"skillId": skill_id, "stage": stage.value, "etag": etag},
        as_json=cli.json,
        quiet=(etag or "") if quiet else None,
        text=f"{skill_id}: {stage.value} account linking updated ({version})",
    )


@linking.command()
def delete(
    ctx: typer.Context,
    skill_id: SkillId,
    stage: StageOption = StageName.development,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Remove the skill's account linking (development stage)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        client.account_linking.delete(skill_id, stage_literal(stage))
    emit(
        {"skillId": skill_id, "stage": stage.value, "accountLinking": None},
        as_json=cli.json,
        text=f"{skill_id}: {stage.value} account linking deleted",
    )
