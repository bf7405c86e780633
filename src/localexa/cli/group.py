"""The root command group: subcommands imported only when used, API errors turned into exit codes.

`localexa serve` imports the whole server (about 2 s); `localexa admin customers list` should not,
so main.py names each command by "module:attribute" and this group imports the one that runs.
`localexa --help` imports none: it lists each group with the short help main.py keeps beside it.

Errors the client raises (and missing credentials) are caught here, once for every command, and
printed by output.print_error with the exit code of output.ExitCode. So are a stdout that cannot
be written (stdout_guard.py: one line, exit 7) and, under `--json`, usage errors (one JSON
object on stderr, as API errors are, not Rich's box).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import typer
from typer import _click as click  # Typer ships its own Click; its classes live here
from typer.core import TyperCommand, TyperGroup

from localexa.cli import flag_help
from localexa.cli.context import CliState
from localexa.cli.stderr_guard import QuietStderr
from localexa.cli.stdout_guard import OUTPUT_LOST_EXIT, GuardedStdout, OutputLost, report_lost_output
from localexa.cli.usage_errors import in_own_words, print_usage_error_as_json, shown_without_box
from localexa.env_names import read_in_any_case

__all__ = ["lazy_group"]

flag_help.install()  # before any help is shown: flags read `--json`, not `--json <bool>`


def _load(name: str, target: str) -> click.Command:
    module_name, _, attribute = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attribute)
    if isinstance(obj, typer.Typer):
        command = typer.main.get_command(obj)
    else:  # a plain function: a single command
        holder = typer.Typer(add_completion=False)
        holder.command(name=name)(obj)
        command = typer.main.get_command(holder)
    command.name = name
    return command


#: `ctx.meta` key: the command line asked for `--json` (known before any command parsed it).
_JSON_WANTED = "localexa.json_wanted"


def _json_wanted(args: Sequence[str]) -> bool:
    words = list(args)
    return "--json" in (words[: words.index("--")] if "--" in words else words)


class LazyGroup(TyperGroup):
    """A Typer group whose commands are `{name: "module:attribute"}`, loaded on first use."""

    lazy_commands: ClassVar[Mapping[str, str]] = {}
    #: Short help of lazy commands, for this group's own help: listing them needs no import.
    lazy_help: ClassVar[Mapping[str, str]] = {}
    #: True while this group's help is written (format_help): get_command then gives a stand-in.
    _listing = False

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Before any option reads its variable: `localexa_port` is LOCALEXA_PORT (env_names.py).
        with read_in_any_case(os.environ):
            return self._guarded_main(*args, **kwargs)

    def _guarded_main(self, *args: Any, **kwargs: Any) -> Any:
        """Typer's main with stdout guarded: a write that fails ends the run with one line on
        stderr and exit 7 (a closed pipe, `| head`, exits 7 without the line; it exited 1, the
        code of an API refusal)."""
        guarded = GuardedStdout(sys.stdout)
        sys.stdout = guarded
        # A closed stderr (None) stays None: Rich and the error printers write nothing then.
        stderr = sys.stderr
        if stderr is not None:
            sys.stderr = QuietStderr(stderr)  # its failures change no exit code (stderr_guard.py)
        try:
            try:
                return super().main(*args, **kwargs)
            finally:
                guarded.flush()  # what is still buffered is output too
        except OutputLost as lost:
            if not kwargs.get("standalone_mode", True):
                raise
            report_lost_output(lost, guarded)
            sys.exit(OUTPUT_LOST_EXIT)
        finally:
            if sys.stdout is guarded:
                sys.stdout = guarded.release()
            if isinstance(sys.stderr, QuietStderr):
                sys.stderr = stderr

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        wanted = _json_wanted(args)
        try:
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as error:  # a bad root option: `localexa --retries x … --json`
            if not wanted:
                if shown_without_box(in_own_words(error)):
                    raise typer.Exit(error.exit_code) from None
                raise
            print_usage_error_as_json(error)
            raise typer.Exit(error.exit_code) from None
        ctx.meta[_JSON_WANTED] = wanted
        return ctx

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.commands, *(name for name in self.lazy_commands if name not in self.commands)]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if self._listing and cmd_name not in self.commands and cmd_name in self.lazy_help:
            # Only its name and short help are shown: a stand-in, kept nowhere, spares the import.
            # As `help`, as the group's own is: plain help shortens it to the width the same way.
            return TyperCommand(cmd_name, help=self.lazy_help[cmd_name])
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands[cmd_name] = _load(cmd_name, self.lazy_commands[cmd_name])
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            # A usage error of a command, raised by Click's parsing or by the command itself:
            # under --json it was a Rich box while API errors were JSON (QA of 2026-12-06).
            found = ctx.find_object(CliState)
            if not (ctx.meta.get(_JSON_WANTED) or (found is not None and found.json)):
                if shown_without_box(in_own_words(error)):  # the box would cut a URL in it
                    raise typer.Exit(error.exit_code) from None
                raise  # Typer's box prints the rewritten message
            print_usage_error_as_json(error)
            raise typer.Exit(error.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise  # `--help`, a command's own exit code, Ctrl-C: nothing to turn into an exit code
        except Exception as error:
            # Imported here, not at the top: `localexa serve` never loads the client (cold start),
            # nor its `--help`.
            from localexa.cli.output import ExitCode, exit_code_for, print_error
            from localexa.client import ConfigurationError, LocalexaClientError

            found = ctx.find_object(CliState)
            as_json = found is not None and found.json
            if isinstance(error, UnicodeEncodeError):
                # An argument that is not text: a byte that is no UTF-8 in argv arrives as a lone
                # surrogate (PEP 383), which no URL or JSON body can carry. A usage error.
                bad = error.object[error.start : error.end]
                problem = ConfigurationError(f"an argument is not valid UTF-8 text: {bad!r}")
                print_error(problem, as_json=as_json)
                raise typer.Exit(int(ExitCode.USAGE)) from None
            if not isinstance(error, LocalexaClientError):
                raise
            print_error(error, as_json=as_json)
            raise typer.Exit(int(exit_code_for(error))) from None


def lazy_group(commands: Mapping[str, str], short_help: Mapping[str, str] | None = None) -> type[LazyGroup]:
    """The group class for `typer.Typer(cls=...)` with these commands; a command with a short
    help here is listed in the group's help without being imported."""
    attributes = {"lazy_commands": dict(commands), "lazy_help": dict(short_help or {})}
    return type("LocalexaGroup", (LazyGroup,), attributes)
