"""The StateReport a test case reads back must itself be a valid answer to its ReportState: one
with another endpoint's endpointId, a correlationToken that is not the directive's or a broken
header reports no state of the endpoint under test. Until 2026-12-07 only its name was checked, so
a skill answering ReportState with its porch light's state passed the kitchen light's plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from localexa.samples.mylights import build_skill
from localexa.skill import Message
from tests.evaluation.helpers import linked_developer, run
from tests.evaluation.skills import SkillServer, _cloud, _with_skill
from tests.factories import Admin
from tests.servers import serve_in_thread


def _other_endpoint(answer: Message) -> None:
    answer["event"]["endpoint"]["endpointId"] = "porch"


def _other_token(answer: Message) -> None:
    answer["event"]["header"]["correlationToken"] = "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg=="


def _old_version(answer: Message) -> None:
    answer["event"]["header"]["payloadVersion"] = "2"


CASES: dict[str, tuple[Callable[[Message], None], str]] = {
    "another endpoint": (_other_endpoint, "event.endpoint.endpointId: does not match the directive's"),
    "another correlationToken": (
        _other_token,
        "event.header.correlationToken: does not match the directive's",
    ),
    "payloadVersion 2": (_old_version, "event.header.payloadVersion"),
}


def _on_report_state(change: Callable[[Message], None]) -> Callable[[dict[str, Any], Message], Message]:
    def hook(event: dict[str, Any], answer: Message) -> Message:
        if event["directive"]["header"]["name"] == "ReportState":
            change(answer)
        return answer

    return hook


@pytest.mark.parametrize("case", list(CASES))
async def test_an_invalid_state_report_fails_the_case(
    client: httpx.AsyncClient, admin: Admin, case: str
) -> None:
    change, reason = CASES[case]
    cloud = _cloud()
    app = _with_skill(cloud, build_skill(cloud), _on_report_state(change))
    with serve_in_thread(app) as url:
        dev = await linked_developer(client, admin, SkillServer(url, cloud, app.state.answered))
        body, found = await run(client, dev, "PowerController", "kitchen")
    assert body["status"] == "FAILED", found
    assert [r["status"] for r in found] == ["FAILED"] * 4
    for result in found:
        # The reported values themselves are right: the report is what the case fails on.
        assert len(result["reasons"]) == 1, result["reasons"]
        assert result["reasons"][0].startswith(f"ReportState: invalid Alexa.StateReport: {reason}")
        assert result["actualCapabilityStates"]
