"""The global options of the `localexa` command, and the clients built from them.

    localexa [--url URL] [--admin-key KEY] [--data-dir DIR] [--token TOKEN] [--ca-file PEM]
             [--retries N] COMMAND ...

Each option also reads an environment variable (`LOCALEXA_URL`, `LOCALEXA_ADMIN_KEY`,
`LOCALEXA_DATA_DIR`, `LOCALEXA_TOKEN`, `LOCALEXA_CA_FILE`, `LOCALEXA_RETRIES`). The client reads
no environment variables itself; this module is the one place that maps them. Nothing here is
resolved until a command needs it, so `localexa serve` and `localexa ca` pay nothing for it.

The admin key comes from `--admin-key`, else from `<data dir>/admin-key` (where `localexa serve`
keeps it, shared/spec/admin-api.md). Against an `https://` URL without `--ca-file`, the local CA
`<data dir>/tls/ca.pem` of `localexa serve --tls` is trusted when it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported when a command needs it: `localexa serve` never does (cold start)
    from localexa.client import Client

__all__ = ["DEFAULT_URL", "CliState", "global_options", "state"]

DEFAULT_URL = "http://127.0.0.1:8080"


@dataclass
class CliState:
    """What the root options said, plus what the running command asked for (`--json`)."""

    url: str = DEFAULT_URL
    admin_key: str | None = None
    data_dir: Path = Path(".localexa")
    token: str | None = None
    ca_file: Path | None = None
    retries: int | None = None
    json: bool = False

    def resolved_admin_key(self) -> str:
        from localexa.cli.errors import MissingCredentials

        if self.admin_key:
            return self.admin_key
        key_file = self.data_dir / "admin-key"
        try:
            key = key_file.read_text().strip()
        except OSError:
            key = ""
        if not key:
            raise MissingCredentials(
                f"No admin key: pass --admin-key, set LOCALEXA_ADMIN_KEY, or point --data-dir at the "
                f"server's data directory (no key in {key_file})."
            )
        return key

    def resolved_token(self, token: str | None = None) -> str:
        from localexa.cli.errors import MissingCredentials

        value = token or self.token
        if not value:
            raise MissingCredentials("No access token: pass --token or set LOCALEXA_TOKEN.")
        return value

    def trusted_ca(self) -> Path | None:
        if self.ca_file is not None:
            return self.ca_file
        local_ca = self.data_dir / "tls" / "ca.pem"
        if self.url.startswith("https://") and local_ca.is_file():
            return local_ca
        return None

    def check_url(self) -> None:
        """A usage error (exit 2, INVALID_VALUE) for a `--url` whose host no client can send
        (`a..b`, a 64-character label, `xn--`, `☃.com`), in the CLI's words, naming the URL and
        why: the first was a traceback with exit 1, `xn--` showed idna's words without the URL,
        and `☃.com` was said to have a query or fragment (revB QA)."""
        from localexa.client.messages import shown_url
        from localexa.idna_hosts import url_host_fault

        if not self.url.strip():  # `--url "$LX"` with LX unset: it called Amazon's hosts (cliq QA)
            raise typer.BadParameter(
                f"the URL is empty: give the localexa server's, e.g. {DEFAULT_URL}.", param_hint="--url"
            )
        fault = url_host_fault(self.url)
        if fault is not None:
            message = f"{shown_url(self.url)} is not a valid URL: {fault}."
            raise typer.BadParameter(message, param_hint="--url")

    def client(self, *, admin: bool = False, token: str | None = None, anonymous: bool = False) -> Client:
        """A client on `--url`: with the admin key when `admin`, with no credentials when
        `anonymous`, else with the bearer token."""
        import httpx

        from localexa.client import CaFileError, Client

        self.check_url()
        admin_key = self.resolved_admin_key() if admin else None
        auth = None if admin or anonymous else self.resolved_token(token)
        ca_file = self.trusted_ca()
        try:
            return Client(
                base_url=self.url, admin_key=admin_key, auth=auth, ca_file=ca_file, max_retries=self.retries
            )
        # A usage error (exit 2) naming the option, not a traceback: the client refuses a URL
        # that is no http(s) URL with ValueError (httpx.InvalidURL is one too), and a CA file
        # that is missing or holds no certificate with OSError (ssl.SSLError is one).
        except CaFileError as exc:
            hint = "--ca-file" if self.ca_file is not None else "--data-dir"
            reason = exc.reason
            raise typer.BadParameter(f"cannot trust {ca_file} as a CA: {reason}", param_hint=hint) from None
        except (ValueError, httpx.InvalidURL) as exc:
            # The client's message names the fault and shows the URL with its password as ***.
            raise typer.BadParameter(str(exc), param_hint="--url") from None


def _print_version(value: bool) -> None:
    if value:
        from localexa import __version__

        typer.echo(f"localexa {__version__}")
        raise typer.Exit()


def global_options(
    ctx: typer.Context,
    url: Annotated[
        str,
        typer.Option(envvar="LOCALEXA_URL", help="The localexa server (NA listener; EU/FE on port+1/+2)."),
    ] = DEFAULT_URL,
    admin_key: Annotated[
        str | None,
        typer.Option(
            envvar="LOCALEXA_ADMIN_KEY",
            show_envvar=True,
            help="Admin key for `admin` commands (default: <data dir>/admin-key).",
        ),
    ] = None,
    data_dir: Annotated[
        Path,
        typer.Option(envvar="LOCALEXA_DATA_DIR", help="The server's data directory (admin key, local CA)."),
    ] = Path(".localexa"),
    token: Annotated[
        str | None,
        typer.Option(
            envvar="LOCALEXA_TOKEN",
            help="LWA access token for the Amazon APIs (developer, customer or skill event token).",
        ),
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            envvar="LOCALEXA_CA_FILE",
            dir_okay=False,
            help="PEM CA to trust for https:// (default: <data dir>/tls/ca.pem when it exists).",
        ),
    ] = None,
    retries: Annotated[
        int | None,
        typer.Option(
            envvar="LOCALEXA_RETRIES",
            min=0,
            help=(
                "Retries of calls safe to repeat, after 429, 500, 502, 503, 504 or no connection (default 2)."
            ),
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            expose_value=False,
            help="Print localexa's version and exit.",
        ),
    ] = False,
) -> None:
    """The root options: where the server is and which credentials to send."""
    ctx.obj = CliState(
        url=url.rstrip("/"),
        admin_key=admin_key,
        data_dir=data_dir,
        token=token,
        ca_file=ca_file,
        retries=retries,
    )


def state(ctx: typer.Context, *, json_output: bool = False) -> CliState:
    """The root options of this invocation; records `--json` so errors print as JSON too."""
    found = ctx.find_object(CliState)
    if found is None:  # a group run on its own (tests of one sub-app): defaults and env
        found = CliState()
        ctx.obj = found
    found.json = found.json or json_output
    return found
