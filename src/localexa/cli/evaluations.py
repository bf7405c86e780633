"""`localexa evaluations …`: run capability test plans against a skill and read the results.

    localexa --token "$TOKEN" evaluations plans SKILL_ID
    localexa --token "$TOKEN" evaluations run SKILL_ID --plan BrightnessController --endpoint porch
    localexa --token "$TOKEN" evaluations results SKILL_ID EVALUATION_ID [--limit N [--after TOKEN]]
    localexa --token "$TOKEN" evaluations list SKILL_ID --since 2026-12-07T10:00:00Z --limit 20

The Smart Home Capability Evaluation API (SMAPI, spec alexa-api-surface.md §2) through the client
package, with the developer's token (`alexa::ask:skills:readwrite`). `run` starts a run, follows
it with a progress bar and prints each test case, with the actual and expected values of those
that did not pass. `run` and `status` exit 0 when the run PASSED (or, for `status`, is still in
progress) and 1 when it FAILED or ended in ERROR; API errors exit as output.py says (3 not found,
4 authentication, 5 conflict: a run is already in progress for the endpoint, ...).
"""

from __future__ import annotations

import json
import shlex
import time
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from localexa.cli.context import state
from localexa.cli.evaluations_list import LimitOption, list_runs
from localexa.cli.options import JsonOption, SkillId, StageName, StageOption, TokenOption, stage_literal
from localexa.cli.output import (
    Column,
    emit,
    print_cli_error,
    print_table,
    printable,
    stdout_console,
    to_jsonable,
)
from localexa.cli.paging_options import TokenAfterOption, print_next_page, read_page, shell_word
from localexa.cli.unbroken import print_unbroken
from localexa.client import Client
from localexa.client.types.evaluations import Evaluation, TestCaseResult

evaluations = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Smart home capability evaluations: test plans, runs and their results.",
)

EvaluationId = Annotated[str, typer.Argument(help="The id `run` printed.")]


def _console() -> Console:
    # The console of every other command: a table fits the terminal's width without cutting an
    # id, and piped output is not wrapped (this group made its own until 2026-12-06, which
    # folded test case names and directives at any character and wrapped piped output at 160).
    return stdout_console()


# -- what failed, in words -----------------------------------------------------------------------


def _key(prop: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (prop.get("namespace"), prop.get("name"), prop.get("instance"))


def differences(result: TestCaseResult) -> list[str]:
    """Actual vs expected, one line per state (and the answer, when it was not Alexa.Response)."""
    lines: list[str] = []
    if result.error is not None:
        lines.append(f"{result.error.code}: {result.error.message}")
    if result.reasons:  # localexa says why; from Amazon, work it out of the states below
        return [*lines, *result.reasons]
    event = (result.actual_response or {}).get("event") or {}
    header = event.get("header") or {}
    if result.actual_response is not None and header.get("name") != "Response":
        payload = event.get("payload") or {}
        detail = f" {payload.get('type')}: {payload.get('message')}" if payload.get("type") else ""
        lines.append(f"answer: {header.get('namespace')}.{header.get('name')}{detail}")
    actual = {_key(s): s for s in result.actual_capability_states or []}
    for expected in result.expected_capability_states or []:
        found = actual.get(_key(expected))
        compare = expected.get("compare") or "EQUAL_TO"
        wanted = expected.get("value") if compare == "EQUAL_TO" else f"{compare} {expected.get('value')}"
        got = found.get("value") if found is not None else "(not reported)"
        if result.status != "PASSED":
            lines.append(f"{expected.get('name')}: expected {wanted}, actual {got}")
    return lines


def print_results(results: list[TestCaseResult], console: Console) -> None:
    if not results:
        # A run that ended before its first test case (NO_SUCH_TEST_PLAN, DISCOVERY_FAILED, ...)
        # has none: say so rather than draw an empty table.
        console.print("no test case ran")
        return
    print_table(console, results, RESULT_COLUMNS, "Test cases")


_COLOUR = {"PASSED": "green", "FAILED": "red", "ERROR": "yellow"}


def _directive(result: TestCaseResult) -> str:
    header = (result.directive or {}).get("header") or {}
    return f"{header.get('namespace', '')}.{header.get('name', '')}".strip(".")


#: Names and values come from test plans and the skill's answers: the shared table prints them as
#: text, not markup, with control characters escaped (an ESC from a skill's answer must not reach
#: the terminal). A name, a status and a directive are one word each and never wrap; actual vs
#: expected wraps at spaces only, its values and ids whole, as every column's words are (Rich cut
#: them anywhere, `'amzn1.ask.device.AEXAM` then `PLE0123…'`, QA of 2026-12-06).
RESULT_COLUMNS = [
    Column("Test case", lambda result: result.name, identifier=True),
    Column(
        "Status",
        lambda result: result.status,
        identifier=True,
        style=lambda result: _COLOUR.get(result.status, "white"),
    ),
    Column("Directive", _directive, identifier=True),
    Column(
        "Actual vs expected",
        lambda result: "\n".join(differences(result)) if result.status != "PASSED" else "",
    ),
]


def print_summary(evaluation_id: str, evaluation: Evaluation, console: Console) -> None:
    """`evaluation <id>: STATUS`, then each plan's metrics and the run's error, broken only at
    spaces (unbroken.py). A terminal too narrow for the first line gets `evaluation <id>` and
    `status: STATUS`: on 36 columns `<id>:` is a cell wider than a line, and Rich put the colon
    on the next line (`: ERROR`), as it put a plan's metrics at the left edge (lead's QA of the
    night of 2026-12-06). Output that is no terminal keeps the one line, for grep."""
    # The id is the user's argument, the rest the server's: text, not markup ("[/x]" crashed).
    run_id, status = printable(evaluation_id), Text(printable(evaluation.status), style="bold")
    line = Text.assemble(f"evaluation {run_id}: ", status)
    if console.is_terminal and cell_len(line.plain) > console.width:
        print_unbroken(console, Text(f"evaluation {run_id}"))
        print_unbroken(console, Text.assemble("status: ", status))
    else:
        print_unbroken(console, line)
    for plan, metrics in (evaluation.metrics or {}).items():
        counts = (
            f"  {printable(plan)}: {metrics.passed_test_cases} passed, {metrics.failed_test_cases} "
            f"failed, {metrics.error_test_cases} errors of {metrics.total_test_cases}"
        )
        print_unbroken(console, Text(counts), indent="    ")  # further lines under the plan
    if evaluation.error is not None:
        # Its message may hold a path or URL (NO_SUCH_SKILL_STAGE: `PUT /v1/skills/…/enablement`):
        # broken only at spaces, never inside one (unbroken.py).
        line = Text.from_markup(
            f"  [yellow]{escape(printable(str(evaluation.error.code)))}[/]: "
            f"{escape(printable(str(evaluation.error.message)))}"
        )
        print_unbroken(console, line, indent="  ")


#: The longest pause between status checks (`--poll`), in seconds.
MAX_POLL = 86400.0


def _exit_code(status: str) -> int:
    return 0 if status == "PASSED" else 1


# -- commands ------------------------------------------------------------------------------------


@evaluations.command("plans")
def plans(
    ctx: typer.Context,
    skill_id: SkillId,
    limit: LimitOption = None,
    after: TokenAfterOption = None,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """List the capability test plans (--limit N: a page, and how to get the next)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        page = read_page(client.evaluations.test_plans(skill_id, max_results=limit, next_token=after), limit)
    columns = [Column.attr("name", "name"), Column.attr("id", "id", identifier=True)]
    emit(page.items, as_json=cli.json, columns=columns, title="Capability test plans")
    if page.next_token is not None:
        words = ["localexa evaluations plans", shlex.quote(skill_id)]
        print_next_page(words, limit, shell_word(page.next_token))


def resolve_plan(client: Client, skill_id: str, plan: str) -> str:
    """A plan id, given an id or a name (names are what people remember)."""
    for known in client.evaluations.test_plans(skill_id):
        if plan in (known.id, known.name) or plan.lower() == (known.name or "").lower():
            return known.id
    return plan  # unknown: the run will say NO_SUCH_TEST_PLAN


@evaluations.command("run")
def run(
    ctx: typer.Context,
    skill_id: SkillId,
    plan: Annotated[str, typer.Option("--plan", "-p", help="Test plan name or id.")],
    endpoint: Annotated[str, typer.Option("--endpoint", "-e", help="The endpointId to test.")],
    stage: StageOption = StageName.development,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the run to its end.")] = True,
    # 0 or more (since 2026-12-06): a negative --poll went on to time.sleep, which raises
    # ValueError for it, and a negative or NaN --timeout was taken. --poll is at most a day:
    # `inf` and `1e308` went on to time.sleep too, an OverflowError traceback (rev1 QA F1).
    # --timeout may be `inf`: follow the run until it ends.
    poll: Annotated[
        float, typer.Option(min=0, max=MAX_POLL, help="Seconds between status checks (at most a day).")
    ] = 0.5,
    timeout: Annotated[
        float, typer.Option(min=0, help="Give up following after this many seconds (inf: never).")
    ] = 900.0,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Start a run; follow it with a progress bar and print its results."""
    cli = state(ctx, json_output=json_output)
    console = _console()
    with cli.client(token=token) as client:
        plan_id = resolve_plan(client, skill_id, plan)
        started = client.evaluations.create(
            skill_id, test_plan_id=plan_id, endpoint_id=endpoint, stage=stage_literal(stage)
        )
        if not wait:
            emit(started, as_json=cli.json, quiet=started.id)
            return
        if not cli.json:
            print_unbroken(console, Text(f"started evaluation {printable(started.id)}"))
        evaluation = follow(
            client, skill_id, started.id, poll=poll, timeout=timeout, console=console, quiet=cli.json
        )
        if evaluation.status == "IN_PROGRESS":
            _gave_up(skill_id, started.id, timeout, as_json=cli.json)
        found = list(client.evaluations.results(skill_id, started.id))
    if cli.json:
        typer.echo(
            json.dumps(to_jsonable({"id": started.id, "evaluation": evaluation, "results": found}), indent=2)
        )
    else:
        print_summary(started.id, evaluation, console)
        print_results(found, console)
    raise typer.Exit(_exit_code(evaluation.status))


def follow(
    client: Client,
    skill_id: str,
    evaluation_id: str,
    *,
    poll: float,
    timeout: float,
    console: Console,
    quiet: bool = False,
) -> Evaluation:
    """The run once it ended, or still IN_PROGRESS once `timeout` passed. `quiet`: no progress
    bar (under `--json`, whose stdout held a blank line of it before the JSON until 2026-12-06).
    Nor is there one when stdout is no terminal: the transient bar, which nothing can erase
    there, left an empty line after "started evaluation …" until 2026-12-06 (rev3 QA)."""
    deadline = time.monotonic() + timeout
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    no_bar = quiet or not console.is_terminal
    with Progress(*columns, console=console, transient=True, disable=no_bar) as progress:
        task = progress.add_task("test cases", total=None)
        while True:
            evaluation = client.evaluations.get(skill_id, evaluation_id)
            for metrics in (evaluation.metrics or {}).values():
                done = metrics.passed_test_cases + metrics.failed_test_cases + metrics.error_test_cases
                progress.update(task, total=metrics.total_test_cases or None, completed=done)
            left = deadline - time.monotonic()
            if evaluation.status != "IN_PROGRESS" or left <= 0:
                return evaluation  # still IN_PROGRESS past the deadline: run() gives up
            # Never past the deadline: `--poll 100 --timeout 1` slept the 100 s (rev1 QA F1).
            time.sleep(min(poll, left))


def _gave_up(skill_id: str, evaluation_id: str, timeout: float, *, as_json: bool) -> None:
    """The run is still IN_PROGRESS after `--timeout`: the code TIMEOUT, exit 6 (README "Exit
    codes"; a run that ended FAILED or ERROR is exit 1). Until 2026-12-06 a text line on stdout
    and exit 1, under `--json` too, which also left out the run's id (rev1 QA F5)."""
    message = (
        f"evaluation {evaluation_id} still IN_PROGRESS after {timeout:g} s; follow it with "
        f"`localexa evaluations status {skill_id} {evaluation_id}`"
    )
    extra = {"evaluationId": evaluation_id, "evaluationStatus": "IN_PROGRESS"}
    print_cli_error(message, "TIMEOUT", as_json=as_json, extra=extra)
    raise typer.Exit(6)


@evaluations.command("status")
def status(
    ctx: typer.Context,
    skill_id: SkillId,
    evaluation_id: EvaluationId,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Status, metrics and error of one run."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        evaluation = client.evaluations.get(skill_id, evaluation_id)
    if cli.json:
        emit(evaluation, as_json=True)
    else:
        print_summary(evaluation_id, evaluation, _console())
    raise typer.Exit(0 if evaluation.status in ("PASSED", "IN_PROGRESS") else 1)


@evaluations.command("results")
def results(
    ctx: typer.Context,
    skill_id: SkillId,
    evaluation_id: EvaluationId,
    limit: LimitOption = None,
    after: TokenAfterOption = None,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """Every test case of a run (actual vs expected for those that did not pass; --limit N: a
    page, and how to get the next)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        pager = client.evaluations.results(skill_id, evaluation_id, max_results=limit, next_token=after)
        page = read_page(pager, limit)
    if cli.json:
        emit(page.items, as_json=True)
    else:
        print_results(page.items, _console())
    if page.next_token is not None:
        words = ["localexa evaluations results", shlex.quote(skill_id), shlex.quote(evaluation_id)]
        print_next_page(words, limit, shell_word(page.next_token))


# In its own module (filters, pages): `list [--since T] [--until T] [--limit N] [--after TOKEN]`.
evaluations.command("list")(list_runs)
