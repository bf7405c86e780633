"""`localexa lwa …`: Login with Amazon's token endpoints (spec alexa-api-surface.md §3).

    localexa --token "$ACCESS_TOKEN" lwa token-info
    localexa --token "$ACCESS_TOKEN" lwa profile
    localexa lwa refresh --refresh-token "$REFRESH" --client-id amzn1.application-oa2-client.…
    localexa lwa exchange-code CODE --redirect-uri https://app/cb --client-id … --code-verifier …
    localexa lwa client-credentials --scope alexa:skill_messaging --client-id … --client-secret …

The grants print the token pair; `-q` prints only the access token, for `$(...)`. The consent page
itself (`/ap/oa`) is for a browser: `localexa serve` prints its URL for the demo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from localexa.cli.context import state
from localexa.cli.options import JsonOption, QuietOption, TokenOption
from localexa.cli.output import emit

if TYPE_CHECKING:  # the client is imported when a command runs (cold start of `localexa`)
    from pydantic import BaseModel

    from localexa.client.types.lwa import TokenResponse

lwa = typer.Typer(no_args_is_help=True, add_completion=False)

ClientIdOption = Annotated[str, typer.Option(help="The LWA client (amzn1.application-oa2-client.…).")]
#: Also from LOCALEXA_CLIENT_SECRET: on the command line a secret shows in `ps` and the shell's history.
CLIENT_SECRET_ENV = "LOCALEXA_CLIENT_SECRET"
ClientSecretOption = Annotated[
    str | None,
    typer.Option(
        envvar=CLIENT_SECRET_ENV, help="The client's secret (not needed for a public client with PKCE)."
    ),
]


@lwa.callback()
def lwa_group() -> None:
    """Login with Amazon: token grants, tokeninfo and the customer profile."""


def _sent(model: BaseModel) -> dict[str, Any]:
    """The fields the answer gave a value, by their wire names. The tables leave out the rest:
    an empty `scope` row (tokeninfo sends none) or a `refresh_token None` line (the client
    credentials grant issues no refresh token) read as values the server sent."""
    return {k: v for k, v in model.model_dump(by_alias=True).items() if v is not None}


#: The lines a grant prints, in this order (token_type is always "bearer").
_TOKEN_LINES = ("access_token", "refresh_token", "expires_in", "scope")


def _emit_tokens(issued: TokenResponse, *, as_json: bool, quiet: bool) -> None:
    sent = _sent(issued)
    text = "\n".join(f"{name:<13} {sent[name]}" for name in _TOKEN_LINES if name in sent)
    emit(issued, as_json=as_json, quiet=issued.access_token if quiet else None, text=text)


@lwa.command("token-info")
def token_info(ctx: typer.Context, token: TokenOption = None, json_output: JsonOption = False) -> None:
    """Who an access token was issued to (`aud`), for whom and until when (GET /auth/o2/tokeninfo)."""
    cli = state(ctx, json_output=json_output)
    access_token = cli.resolved_token(token)
    with cli.client(anonymous=True) as client:
        info = client.lwa.token_info(access_token)
    emit(info if cli.json else _sent(info), as_json=cli.json, title="Token")


@lwa.command()
def profile(ctx: typer.Context, token: TokenOption = None, json_output: JsonOption = False) -> None:
    """The customer's profile, as far as the token's scopes allow (GET /user/profile)."""
    cli = state(ctx, json_output=json_output)
    access_token = cli.resolved_token(token)
    with cli.client(anonymous=True) as client:
        found = client.lwa.profile(access_token)
    emit(found if cli.json else _sent(found), as_json=cli.json, title="Profile")


@lwa.command()
def refresh(
    ctx: typer.Context,
    refresh_token: Annotated[str, typer.Option(help="The refresh token (Atzr|…).")],
    client_id: ClientIdOption,
    client_secret: ClientSecretOption = None,
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """A new access token for a refresh token (grant_type=refresh_token)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(anonymous=True) as client:
        issued = client.lwa.refresh(refresh_token, client_id=client_id, client_secret=client_secret)
    _emit_tokens(issued, as_json=cli.json, quiet=quiet)


@lwa.command("exchange-code")
def exchange_code(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The authorization code from the consent redirect.")],
    client_id: ClientIdOption,
    redirect_uri: Annotated[
        str | None, typer.Option(help="The redirect URI the code was issued for.")
    ] = None,
    client_secret: ClientSecretOption = None,
    code_verifier: Annotated[str | None, typer.Option(help="The PKCE verifier of the request.")] = None,
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """The token pair for an authorization code (grant_type=authorization_code; a code is single-use)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(anonymous=True) as client:
        issued = client.lwa.exchange_code(
            code,
            redirect_uri=redirect_uri,
            client_id=client_id,
            client_secret=client_secret,
            code_verifier=code_verifier,
        )
    _emit_tokens(issued, as_json=cli.json, quiet=quiet)


@lwa.command("client-credentials")
def client_credentials(
    ctx: typer.Context,
    scope: Annotated[list[str], typer.Option(help="A scope (repeatable), e.g. alexa:skill_messaging.")],
    client_id: ClientIdOption,
    client_secret: Annotated[str, typer.Option(envvar=CLIENT_SECRET_ENV, help="The client's secret.")],
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """An access token for the client itself (grant_type=client_credentials), e.g. for skill messaging."""
    cli = state(ctx, json_output=json_output)
    with cli.client(anonymous=True) as client:
        issued = client.lwa.client_credentials(scope=scope, client_id=client_id, client_secret=client_secret)
    _emit_tokens(issued, as_json=cli.json, quiet=quiet)
