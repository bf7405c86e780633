"""`localexa evaluations results|plans --limit N [--after TOKEN]`, as `evaluations list` pages
(test_evaluations_list_filters.py): one page on stdout and, while more follow, the command of the
next page on stderr; without `--limit`, every item as before. Against the session's real server:
the results are a real run's (the PowerController plan's four test cases against the echo skill),
the plans the server's own."""

from __future__ import annotations

import json
import time

import pytest

from localexa.cli.evaluations_list import MAX_PAGE
from localexa.server.evaluation.plans import all_plans, plan_id_for
from localexa.server.evaluation.schemas import MAX_RESULTS
from localexa.server.evaluation.service import PAGE_SIZE
from localexa.testing import Localexa
from tests.cli.conftest import Cli
from tests.cli.echo_skill import EchoSkill


def follow_hints(cli: Cli, first: list[str], command: str, token: str) -> tuple[list[str], list[str]]:
    """Every page from `first` (the arguments after `localexa evaluations`) on, each next one by
    its hint: the items' JSON per page and the hints (the last one empty)."""
    pages: list[str] = []
    hints: list[str] = []
    args = first
    for _ in range(6):  # a hint that never ended would fail here, not hang
        page = cli.ok("evaluations", *args, "--json", token=token)
        pages.append(page.stdout)
        hints.append(page.stderr)
        if not page.stderr:
            break
        assert page.stderr.startswith(f"next page: localexa evaluations {command} "), page.stderr
        args = page.stderr.removeprefix("next page: localexa evaluations ").split()
    return pages, hints


def test_plans_page_and_the_hints_lead_through_every_plan_once(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill()
    token = skill.developer.token
    whole = cli.json("evaluations", "plans", skill.skill_id, token=token)
    assert [plan["name"] for plan in whole] == [plan.name for plan in all_plans()]
    assert len(whole) > 4  # three pages of four or fewer

    pages, hints = follow_hints(cli, ["plans", skill.skill_id, "--limit", "4"], "plans", token)
    assert [len(json.loads(page)) for page in pages] == [4, 4, len(whole) - 8]
    assert [plan for page in pages for plan in json.loads(page)] == whole  # each once, in order
    assert hints[0].startswith(f"next page: localexa evaluations plans {skill.skill_id} --limit 4 --after ")
    assert hints[-1] == ""

    # The table too holds only the page; the hint stays on stderr.
    table = cli.ok("evaluations", "plans", skill.skill_id, "--limit", "1", token=token)
    assert whole[0]["name"] in table.stdout
    assert whole[1]["name"] not in table.stdout
    assert table.stderr.startswith("next page: ")
    assert cli.ok("evaluations", "plans", skill.skill_id, token=token).stderr == ""


def finished_run(localexa: Localexa, echo_skill: EchoSkill) -> tuple[str, str, str]:
    """(skill id, developer token, run id) of a PowerController run that ended: four test cases."""
    skill = localexa.create_skill(account_linking=True, endpoint=echo_skill.url)
    localexa.link(skill.developer.customer, skill)
    client = localexa.client_for(skill.developer.token)
    started = client.evaluations.create(
        skill.skill_id, test_plan_id=plan_id_for("PowerController"), endpoint_id="lamp"
    ).id
    deadline = time.monotonic() + 60  # a deadline, not a timing assertion
    while client.evaluations.get(skill.skill_id, started).status == "IN_PROGRESS":
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(0.05)
    return skill.skill_id, skill.developer.token, started


def test_results_page_and_the_hints_lead_through_every_test_case_once(
    cli: Cli, localexa: Localexa, echo_skill: EchoSkill
) -> None:
    skill_id, token, run = finished_run(localexa, echo_skill)
    whole = cli.json("evaluations", "results", skill_id, run, token=token)
    assert len(whole) == 4

    pages, hints = follow_hints(cli, ["results", skill_id, run, "--limit", "3"], "results", token)
    assert [len(json.loads(page)) for page in pages] == [3, 1]
    assert [case for page in pages for case in json.loads(page)] == whole  # each once, in order
    assert hints[0].startswith(f"next page: localexa evaluations results {skill_id} {run} --limit 3 --after ")
    assert hints[1] == ""

    table = cli.ok("evaluations", "results", skill_id, run, "--limit", "1", token=token)
    assert whole[0]["name"] in table.stdout
    assert whole[1]["name"] not in table.stdout
    assert table.stderr.startswith("next page: ")
    assert cli.ok("evaluations", "results", skill_id, run, token=token).stderr == ""


@pytest.mark.parametrize("command", [["plans"], ["results", "run-1"]])
@pytest.mark.parametrize("limit", ["0", "51"])
def test_a_limit_out_of_the_servers_bounds_is_a_usage_error_before_any_request(
    cli: Cli, command: list[str], limit: str
) -> None:
    """Sent to a port nobody listens on: a request would have been exit 6."""
    args = [command[0], "amzn1.ask.skill.x", *command[1:], "--limit", limit]
    refused = cli.run("evaluations", *args, token="t", url="http://127.0.0.1:9")
    assert refused.exit_code == 2, (refused.stdout, refused.stderr)
    assert f"{limit} is out of range: give 1 to 50." in " ".join(refused.stderr.replace("│", " ").split())
    assert refused.stdout == ""


def test_the_page_size_bound_is_the_servers_for_every_evaluation_listing() -> None:
    """The runs, results and test plans pages share the service's one PAGE_SIZE: one CLI bound."""
    assert MAX_PAGE == MAX_RESULTS == PAGE_SIZE.maximum
