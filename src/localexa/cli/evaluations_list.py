"""`localexa evaluations list SKILL_ID [--since TIME] [--until TIME] [--limit N] [--after TOKEN]`.

The API's filters and page size (`startTimestampFrom`, `startTimestampTo`, `maxResults`,
`nextToken`; README "Smart Home Capability Evaluation"), which the client and ask-cli took and
this command did not until 2026-12-07 (qa40 F1). Named as `admin journal list --since/--until`
and the admin listings' `--limit/--after` (listing.py). A time the server would refuse and a
`--limit` outside 1-50 are usage errors (exit 2) before any request. Without `--limit` every run
is printed, as before; with it one page and, while more follow, the command of the next page on
stderr, so stdout holds only the page.
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from typing import Annotated

import typer

from localexa.cli.context import state
from localexa.cli.options import JsonOption, SkillId, StageName, StageOption, TokenOption, stage_literal
from localexa.cli.output import Column, emit
from localexa.cli.paging_options import TokenAfterOption, limit_option, print_next_page, read_page, shell_word

#: The server's `MAX_RESULTS` (server/evaluation/schemas.py), the bound of the runs, results and
#: test plans pages alike (service.py `PAGE_SIZE`), kept here so that reading the options imports
#: no server module; tests hold them equal.
MAX_PAGE = 50

#: Epoch seconds as the server reads them (evaluation/service.py `parse_timestamp`).
_EPOCH = re.compile(r"[0-9]{9,11}(\.[0-9]+)?")
_EXAMPLE = "e.g. 2026-12-07T10:00:00Z, 2026-12-07 or 1796637600"


def parse_time(value: str | datetime) -> datetime:
    """ISO 8601 (a date alone too) or epoch seconds, as the API reads them; no offset means UTC
    (the API's reading, said here so the client does not send a naive time it would read alike)."""
    if isinstance(value, datetime):
        return value
    text = value.strip()
    if _EPOCH.fullmatch(text):
        return datetime.fromtimestamp(float(text), tz=UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is no ISO 8601 time ({_EXAMPLE}).") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in the year 0 in UTC: the server's 400
        raise typer.BadParameter(f"{value!r} is out of range in UTC.") from None


def _time_option(help: str) -> object:
    return typer.Option(help=help, parser=parse_time, metavar="TIME")


SinceOption = Annotated[
    datetime | None,
    _time_option("Runs started at or after this time (ISO 8601 or epoch seconds; no offset: UTC)."),
]
UntilOption = Annotated[
    datetime | None,
    _time_option("Runs started at or before this time (ISO 8601 or epoch seconds; no offset: UTC)."),
]
#: `--limit N` of `evaluations list`, `results` and `plans`.
LimitOption = Annotated[int | None, limit_option(MAX_PAGE)]

COLUMNS = [
    Column.attr("id", "id", identifier=True),
    Column.attr("status", "status"),
    Column.attr("test plan", "test_plan_id", identifier=True),
    Column.attr("endpoint", "endpoint_id", identifier=True),
    Column.attr("started", "start_timestamp"),
    Column.attr("ended", "end_timestamp"),
]


def list_runs(
    ctx: typer.Context,
    skill_id: SkillId,
    stage: StageOption = StageName.development,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: LimitOption = None,
    after: TokenAfterOption = None,
    token: TokenOption = None,
    json_output: JsonOption = False,
) -> None:
    """The skill's runs at a stage, newest first (--since/--until: by start time; --limit N: a
    page, and how to get the next)."""
    cli = state(ctx, json_output=json_output)
    with cli.client(token=token) as client:
        pager = client.evaluations.list(
            skill_id,
            stage=stage_literal(stage),
            start_timestamp_from=since,
            start_timestamp_to=until,
            max_results=limit,
            next_token=after,
        )
        page = read_page(pager, limit)
    emit(page.items, as_json=cli.json, columns=COLUMNS, title="Capability evaluations")
    if page.next_token is not None:
        # The token is bound to the stage and the filters (a token with others is a 400): the
        # hint repeats them, in UTC as they were sent.
        words = ["localexa evaluations list", shlex.quote(skill_id), "--stage", stage_literal(stage)]
        for name, value in (("--since", since), ("--until", until)):
            if value is not None:
                words += [name, value.isoformat()]
        print_next_page(words, limit, shell_word(page.next_token))
