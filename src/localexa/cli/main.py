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

#: Each group's short help, as the root's `--help` lists it: taken from the modules, the list
#: imported every one of them, serve's uvicorn and FastAPI included (1.2 s against 0.7 s for a
#: group's help; review 36b). tests/cli/test_main.py checks each against its group's own help.
COMMAND_HELP = {
    "serve": "Run localexa: every Alexa smart home cloud API on this machine.",
    "ca": "Print the local CA's path and how to trust it (creates the CA when missing).",
    "skill": "Enable a skill (developer), link it (customer), read its credentials.",
    "thread": "Thread network credentials in the Credential Locker.",
    "events": "Send events to the Alexa event gateway.",
    "evaluations": "Smart home capability evaluations: test plans, runs and their results.",
    "lwa": "Login with Amazon: token grants, tokeninfo and the customer profile.",
    "admin": "localexa's admin API (needs the admin key).",
}

app = typer.Typer(
    cls=lazy_group(COMMANDS, COMMAND_HELP),
    no_args_is_help=True,
    add_completion=False,
    help="localexa: Alexa smart home cloud APIs, locally.",
    epilog="Exit codes: 0 ok, 1 refused by the API (4xx), 2 usage, 3 not found, 4 authentication, "
    "5 conflict, 6 server error or no connection, 7 done but its output could not be written.",
)
app.callback()(global_options)


if __name__ == "__main__":
    app()
