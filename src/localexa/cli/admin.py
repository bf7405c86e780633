"""`localexa admin …`: localexa's own admin API (shared/spec/admin-api.md) through the client.

    localexa admin customers create --name Ada --email ada@example.com --password pw [--region EU]
    localexa admin vendors create --name Acme --owner-user-id amzn1.account.…
    localexa admin lwa-clients create --name App --redirect-uri https://app.example.com/cb
    localexa admin skills create --vendor-id … --name "My Lights" --endpoint http://127.0.0.1:9000/skill
    localexa admin tokens create --client-id … --user-id … --scope alexa::ask:skills:readwrite -q
    localexa admin clock advance 1h
    localexa admin customers delete amzn1.account.… | skills delete amzn1.ask.skill.…
    localexa admin faults | journal | directives …    (admin_steer.py)
    localexa admin reset --yes | snapshot -o state.json | restore state.json | health

Every command but `health` sends the admin key (`--admin-key`, LOCALEXA_ADMIN_KEY, or
`<data dir>/admin-key`). `create` commands print the new object; `-q` prints only its id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from localexa.cli import admin_steer
from localexa.cli.context import state
from localexa.cli.listing import AfterOption, LimitOption, Listed, print_listing, read_listing
from localexa.cli.options import (
    REGION_METAVAR,
    JsonOption,
    QuietOption,
    RegionName,
    parse_clock_advance,
    parse_region,
    read_json_object,
    region_literal,
)
from localexa.cli.output import Column, emit

if TYPE_CHECKING:  # the client is imported when a command runs (cold start of `localexa`)
    from localexa.client import Client

admin = typer.Typer(
    no_args_is_help=True, add_completion=False, help="localexa's admin API (needs the admin key)."
)
customers = typer.Typer(no_args_is_help=True, help="Customers (Amazon accounts): developers and end users.")
vendors = typer.Typer(no_args_is_help=True, help="Vendors: a developer's organisation that owns skills.")
lwa_clients = typer.Typer(no_args_is_help=True, help="LWA clients (security profiles) of apps and consoles.")
skills = typer.Typer(no_args_is_help=True, help="Smart home skills.")
tokens = typer.Typer(no_args_is_help=True, help="LWA token pairs, as if the customer had consented.")
clock = typer.Typer(no_args_is_help=True, help="The server's clock, which only moves forward.")

admin.add_typer(customers, name="customers")
admin.add_typer(vendors, name="vendors")
admin.add_typer(lwa_clients, name="lwa-clients")
admin.add_typer(skills, name="skills")
admin.add_typer(tokens, name="tokens")
admin.add_typer(clock, name="clock")
admin_steer.register(admin)


RegionOption = Annotated[
    RegionName, typer.Option(help="The customer's region.", parser=parse_region, metavar=REGION_METAVAR)
]

CUSTOMER_COLUMNS = [
    Column.attr("userId", "user_id", identifier=True),
    Column.attr("name", "name"),
    Column.attr("email", "email"),
    Column.attr("region", "region"),
]
VENDOR_COLUMNS = [
    Column.attr("vendorId", "vendor_id", identifier=True),
    Column.attr("name", "name"),
    Column.attr("ownerUserId", "owner_user_id", identifier=True),
]
LWA_CLIENT_COLUMNS = [
    Column.attr("clientId", "client_id", identifier=True),
    Column.attr("name", "name"),
    Column.attr("redirectUris", "redirect_uris"),
    Column.attr("skillId", "skill_id", identifier=True),
]
SKILL_COLUMNS = [
    Column.attr("skillId", "skill_id", identifier=True),
    Column.attr("name", "name"),
    Column.attr("vendorId", "vendor_id", identifier=True),
    Column.attr("stages", "stages"),
    Column.attr("endpoint", "endpoint"),
]


def _list_command(
    group: typer.Typer, name: str, columns: Sequence[Column], title: str
) -> Callable[[Callable[[Client], Listed]], Callable[[Client], Listed]]:
    """Make the decorated function, which picks the client's listing and whose docstring is the
    help, `localexa admin NAME list [--limit N] [--after ID]` in `group`: the four admin listings
    differ only in those, the table's columns and title (listing.py)."""

    def add(listed: Callable[[Client], Listed]) -> Callable[[Client], Listed]:
        def list_rows(
            ctx: typer.Context,
            limit: LimitOption = None,
            after: AfterOption = None,
            json_output: JsonOption = False,
        ) -> None:
            cli = state(ctx, json_output=json_output)
            with cli.client(admin=True) as client:
                page = read_listing(listed(client), limit, after)
            print_listing(page, cli, f"localexa admin {name} list", limit, columns, title)

        list_rows.__doc__ = listed.__doc__  # not functools.wraps: Typer would read `listed`'s parameters
        group.command("list")(list_rows)
        return listed

    return add


# -- customers -----------------------------------------------------------------------------------


@customers.command("create")
def create_customer(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Display name.")],
    email: Annotated[str, typer.Option(help="Sign-in email (unique).")],
    password: Annotated[str, typer.Option(help="Sign-in password for the LWA login page.")],
    region: RegionOption = RegionName.NA,
    postal_code: Annotated[str | None, typer.Option(help="For the postal_code profile scope.")] = None,
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """Create a customer who can sign in at /ap/oa."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        created = client.admin.customers.create(
            name=name,
            email=email,
            password=password,
            region=region_literal(region),
            postal_code=postal_code,
        )
    emit(created, as_json=cli.json, quiet=created.user_id if quiet else None)


@_list_command(customers, "customers", CUSTOMER_COLUMNS, "Customers")
def list_customers(client: Client) -> Listed:
    """Every customer, oldest first (--limit N: a page, and how to get the next)."""
    return client.admin.customers


@customers.command("get")
def get_customer(ctx: typer.Context, user_id: str, json_output: JsonOption = False) -> None:
    """One customer (exit 3 when unknown)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        found = client.admin.customers.get(user_id)
    emit(found, as_json=cli.json)


@customers.command("delete")
def delete_customer(ctx: typer.Context, user_id: str, json_output: JsonOption = False) -> None:
    """Delete a customer and everything that is theirs; their tokens stop at once (exit 3 when
    unknown; refused while a vendor they own has skills: delete those first)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        client.admin.customers.delete(user_id)
    emit({"userId": user_id, "deleted": True}, as_json=cli.json, text=f"deleted {user_id}")


# -- vendors -------------------------------------------------------------------------------------


@vendors.command("create")
def create_vendor(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The vendor's name.")],
    owner_user_id: Annotated[str, typer.Option(help="The developer (a customer's userId) who owns it.")],
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """Create a vendor owned by a developer."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        created = client.admin.vendors.create(name=name, owner_user_id=owner_user_id)
    emit(created, as_json=cli.json, quiet=created.vendor_id if quiet else None)


@_list_command(vendors, "vendors", VENDOR_COLUMNS, "Vendors")
def list_vendors(client: Client) -> Listed:
    """Every vendor, oldest first (--limit N: a page, and how to get the next)."""
    return client.admin.vendors


# -- LWA clients ---------------------------------------------------------------------------------


@lwa_clients.command("create")
def create_lwa_client(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The app's name on the consent page.")],
    redirect_uri: Annotated[
        list[str] | None, typer.Option(help="An allowed redirect URI (repeatable).")
    ] = None,
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """Create an LWA client; its secret is shown only now."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        created = client.admin.lwa_clients.create(name=name, redirect_uris=redirect_uri or [])
    text = f"clientId     {created.client_id}\nclientSecret {created.client_secret}"
    emit(created, as_json=cli.json, quiet=created.client_id if quiet else None, text=text)


@_list_command(lwa_clients, "lwa-clients", LWA_CLIENT_COLUMNS, "LWA clients")
def list_lwa_clients(client: Client) -> Listed:
    """Every LWA client (no secrets), skills' messaging clients included, oldest first (--limit N:
    a page, and how to get the next)."""
    return client.admin.lwa_clients


# -- skills --------------------------------------------------------------------------------------


@skills.command("create")
def create_skill(
    ctx: typer.Context,
    vendor_id: Annotated[str, typer.Option(help="The vendor that owns the skill.")],
    name: Annotated[str, typer.Option(help="The skill's name.")],
    endpoint: Annotated[str, typer.Option(help="http(s):// URL or python:package.module:function.")],
    stage: Annotated[list[str] | None, typer.Option(help="development and/or live (repeatable).")] = None,
    permission: Annotated[
        list[str] | None, typer.Option(help="e.g. alexa::async_event:write (repeatable).")
    ] = None,
    account_linking: Annotated[
        str | None, typer.Option(help="accountLinking object: inline JSON, @file.json or - (stdin).")
    ] = None,
    region_endpoint: Annotated[
        list[str] | None,
        typer.Option(help="REGION=ENDPOINT, a region's own endpoint, e.g. EU=https://… (repeatable)."),
    ] = None,
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """Create a smart home skill (and its messaging and Alexa clients)."""
    cli = state(ctx, json_output=json_output)
    linking = read_json_object(account_linking, "--account-linking") if account_linking else None
    regional = _region_endpoints(region_endpoint or [])
    with cli.client(admin=True) as client:
        created = client.admin.skills.create(
            vendor_id=vendor_id,
            name=name,
            endpoint=endpoint,
            stages=stage,
            permissions=permission,
            account_linking=linking,
            regional_endpoints=regional,
        )
    messaging, alexa = created.skill_messaging_credentials, created.alexa_client_credentials
    text = (
        f"skillId                {created.skill_id}\n"
        f"messaging clientId     {messaging.client_id}\n"
        f"messaging clientSecret {messaging.client_secret}"
    )
    if alexa is not None:  # app-to-app account linking: the client of the customer's /ap/oa token
        text += f"\nalexa clientId         {alexa.client_id}\nalexa clientSecret     {alexa.client_secret}"
    emit(created, as_json=cli.json, quiet=created.skill_id if quiet else None, text=text)


def _region_endpoints(values: list[str]) -> dict[str, str]:
    """`--region-endpoint EU=https://…` values as the skill body's regions (the server checks
    the region and the endpoint)."""
    found: dict[str, str] = {}
    for value in values:
        region, equals, endpoint = value.partition("=")
        if not equals or not region.strip() or not endpoint:
            raise typer.BadParameter(f"{value!r} is not REGION=ENDPOINT", param_hint="--region-endpoint")
        if region.strip().upper() in (given.upper() for given in found):
            # Kept as the last one silently, where the admin body refuses it (re-verification).
            message = f"region {region.strip()} is given twice"
            raise typer.BadParameter(message, param_hint="--region-endpoint")
        found[region.strip()] = endpoint
    return found


@_list_command(skills, "skills", SKILL_COLUMNS, "Skills")
def list_skills(client: Client) -> Listed:
    """Every skill, oldest first (--limit N: a page, and how to get the next)."""
    return client.admin.skills


@skills.command("get")
def get_skill(ctx: typer.Context, skill_id: str, json_output: JsonOption = False) -> None:
    """One skill as stored, with its Alexa client's id and secret (exit 3 when unknown)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        found = client.admin.skills.get(skill_id)
    emit(found, as_json=cli.json)


@skills.command("delete")
def delete_skill(ctx: typer.Context, skill_id: str, json_output: JsonOption = False) -> None:
    """Delete a skill, its messaging and Alexa clients and everything that is theirs; their tokens
    stop at once (exit 3 when unknown)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        client.admin.skills.delete(skill_id)
    emit({"skillId": skill_id, "deleted": True}, as_json=cli.json, text=f"deleted {skill_id}")


# -- tokens and the clock ------------------------------------------------------------------------


@tokens.command("create")
def create_tokens(
    ctx: typer.Context,
    client_id: Annotated[
        str, typer.Option(help="The LWA client (an app's, or a skill's messaging or Alexa client).")
    ],
    user_id: Annotated[str, typer.Option(help="The customer the tokens act for.")],
    scope: Annotated[
        list[str], typer.Option(help="A scope (repeatable), e.g. alexa::skills:account_linking.")
    ],
    quiet: QuietOption = False,
    json_output: JsonOption = False,
) -> None:
    """Issue the token pair LWA would issue after consent; -q prints only the access token."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        issued = client.admin.tokens.create(client_id=client_id, user_id=user_id, scopes=scope)
    text = (
        f"access_token  {issued.access_token}\n"
        f"refresh_token {issued.refresh_token}\n"
        f"expires_in    {issued.expires_in}"
    )
    emit(issued, as_json=cli.json, quiet=issued.access_token if quiet else None, text=text)


@clock.command("get")
def get_clock(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """The server's time (ISO-8601)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(admin=True) as client:
        now = client.admin.clock.get()
    emit(now, as_json=cli.json, text=now.now.isoformat())


@clock.command("advance")
def advance_clock(
    ctx: typer.Context,
    duration: Annotated[str, typer.Argument(help="Seconds, or 90s, 5m, 1h, 2d, 1h30m.")],
    json_output: JsonOption = False,
) -> None:
    """Move the server's clock forward, by more than 0 and at most 3650d (codes expire in 5 min,
    access tokens in 1 h)."""
    cli = state(ctx, json_output=json_output)
    seconds = parse_clock_advance(duration)
    with cli.client(admin=True) as client:
        now = client.admin.clock.advance(seconds)
    emit(now, as_json=cli.json, text=now.now.isoformat())
