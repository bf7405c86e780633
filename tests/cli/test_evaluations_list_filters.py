"""`localexa evaluations list --since/--until/--limit/--after` (qa40 F1): the API's start-time
filters and page size, against the session's real server. Runs are started through the client
(each CLI run costs ~0.2 s) on a skill whose stage is not enabled, so each ends at once in
NO_SUCH_SKILL_STAGE: the tests are about which runs `list` prints, not how they went."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest

from localexa.cli.evaluations_list import MAX_PAGE
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.evaluation.schemas import MAX_RESULTS
from localexa.testing import Localexa
from tests.cli.conftest import Cli

PLAN = plan_id_for("PowerController")


def test_since_and_until_filter_by_start_time_and_limit_pages_with_the_filters(
    cli: Cli, localexa: Localexa
) -> None:
    skill = localexa.create_skill()
    token = skill.developer.token
    client = localexa.client_for(token)

    def start(endpoint: str) -> str:
        return client.evaluations.create(skill.skill_id, test_plan_id=PLAN, endpoint_id=endpoint).id

    early = start("early")
    # Ten minutes later by localexa's clock (admin clock API): two runs after `middle`.
    middle = localexa.advance_clock(600) - timedelta(seconds=300)
    late = [start("late1"), start("late2")]

    def ids(*args: str) -> list[str]:
        return [run["id"] for run in cli.json("evaluations", "list", skill.skill_id, *args, token=token)]

    assert set(ids()) == {early, *late}
    assert set(ids("--since", middle.isoformat())) == set(late)
    assert ids("--until", middle.isoformat()) == [early]
    # Epoch seconds and a time without an offset (UTC) as the API reads them.
    assert set(ids("--since", str(int(middle.timestamp()) + 1))) == set(late)
    naive = middle.astimezone(UTC).replace(tzinfo=None)
    assert ids("--until", naive.isoformat()) == [early]

    # One run a page: the hint repeats the filter (the page token is bound to it: without it the
    # next call would be the API's 400) and leads to the other late run, then ends.
    seen: list[str] = []
    hints: list[str] = []
    args = ["--since", middle.isoformat(), "--limit", "1"]
    for _ in range(4):  # two pages; a hint that never ended would fail here, not hang
        page = cli.ok("evaluations", "list", skill.skill_id, *args, "--json", token=token)
        seen += [run["id"] for run in json.loads(page.stdout)]
        hints.append(page.stderr)
        if not page.stderr:
            break
        args = page.stderr.split(f" list {skill.skill_id} ", 1)[1].split()
    assert seen == list(reversed(late))  # newest first, each once, `early` filtered out
    assert len(hints) == 2
    assert hints[0].startswith(
        f"next page: localexa evaluations list {skill.skill_id} --stage development "
        f"--since {middle.isoformat()} --limit 1 --after "
    )
    assert hints[1] == ""

    # Without a filter, pages of two: the three runs over two pages.
    first = cli.ok("evaluations", "list", skill.skill_id, "--limit", "2", "--json", token=token)
    assert len(json.loads(first.stdout)) == 2
    assert "--limit 2 --after " in first.stderr
    assert "--since" not in first.stderr


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--since", "yesterday", "'yesterday' is no ISO 8601 time"),
        ("--until", "2024-13-01", "'2024-13-01' is no ISO 8601 time"),
        ("--since", "1e9", "'1e9' is no ISO 8601 time"),
        ("--limit", "0", "0 is out of range: give 1 to 50"),
        ("--limit", "51", "51 is out of range: give 1 to 50"),
    ],
)
def test_a_bad_time_or_page_size_is_a_usage_error_before_any_request(
    cli: Cli, localexa: Localexa, option: str, value: str, said: str
) -> None:
    skill = localexa.create_skill()
    result = cli.run("evaluations", "list", skill.skill_id, option, value, token=skill.developer.token)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert said in " ".join(result.stderr.replace("│", " ").split())
    calls = localexa.client.admin.journal.list(path=f"/v1/skills/{skill.skill_id}/smartHome", limit=10)
    assert list(calls) == []  # refused before any request


def test_the_page_size_bound_is_the_servers() -> None:
    assert MAX_PAGE == MAX_RESULTS
