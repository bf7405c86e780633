"""The `localexa` command: one line per command group, each imported only when it runs
(group.py). Global options and their environment variables: context.py; exit codes: output.py."""

from __future__ import annotations

import typer

from localexa.cli.context import global_options
from localexa.cli.group import lazy_group

COMMANDS = {
    "serve": "localexa.cli.serve:serve",
    "ca": "localexa.cli.ca:ca",
    "skill": "localexa.cli.enablement:skill",
    "thread": "localexa.cli.thread:thread",
    "events": "localexa.cli.events:events",
    "evaluations": "localexa.cli.evaluations:evaluations",
    "lwa": "localexa.cli.lwa:lwa",
    "admin": "localexa.cli.admin:admin",
}

app = typer.Typer(
    cls=lazy_group(COMMANDS),
    no_args_is_help=True,
    add_completion=False,
    help="localexa: Alexa smart home cloud APIs, locally.",
    epilog="Exit codes: 0 ok, 1 refused by the API (4xx), 2 usage, 3 not found, 4 authentication, "
    "5 conflict, 6 server error or no connection, 7 done but its output could not be written.",
)
app.callback()(global_options)


if __name__ == "__main__":
    app()
