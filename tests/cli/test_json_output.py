"""`--json` prints what the API sent (README: "the API's own JSON (camelCase wire shape)"): the
fields the answer had and no others, an explicit null as null.

It printed every field of the client's model instead: `"error": null` for each PASSED test case
of an evaluation run, `"postalCode": null` for a customer created without one, and defaults
(`"passedTestCases": 0`) for counts the API did not send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from localexa.client.resources.thread_networks import PATH as THREAD_NETWORKS
from localexa.testing import Localexa
from tests.cli.canned_api import serve_canned
from tests.cli.conftest import CLEAN_ENV, Cli
from tests.servers import SERVED_LIMITS

SKILL = "amzn1.ask.skill.json-output"
RUN = "run-1"
BASE = f"/v1/skills/{SKILL}/smartHome/testing/capabilityEvaluations/{RUN}"
#: An evaluation API's answers as Amazon's reference shows them: optional fields left out where
#: they do not apply, and one explicit null (an answer may send those too).
EVALUATION = {
    "status": "FAILED",
    "startTimestamp": "2026-01-02T03:04:05Z",
    "error": None,
    "metrics": {"PowerController": {"totalTestCases": 2, "failedTestCases": 1}},
}
RESULTS = {
    "testCaseResults": [
        {"name": "TurnOn", "status": "PASSED", "directive": {"header": {"name": "TurnOn"}}},
        {
            "name": "TurnOff",
            "status": "FAILED",
            "actualResponse": None,
            "expectedResponse": {"event": {"header": {"name": "Response"}}},
            "error": {"code": "SKILL_ERROR", "message": "no answer"},
            "newField": {"kept": None},
        },
    ],
    "paginationContext": {"totalCount": 2},
}
ANSWERS = {BASE: EVALUATION, f"{BASE}/results": RESULTS}


def _answer(method: str, path: str) -> tuple[int, Any]:
    return 200, ANSWERS[path]


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering the evaluation API's two GETs with the bodies above."""
    with serve_canned(_answer) as url:
        yield url


def _json(url: str, *args: str) -> Any:
    result = CliRunner().invoke(app, ["--url", url, "--token", "t", *args, "--json"], env=CLEAN_ENV)
    assert result.exit_code in (0, 1), (result.exit_code, result.stdout, result.stderr)  # 1: FAILED
    return json.loads(result.stdout)


def test_evaluation_json_is_the_answer_as_sent(api: str) -> None:
    assert _json(api, "evaluations", "status", SKILL, RUN) == EVALUATION
    assert _json(api, "evaluations", "results", SKILL, RUN) == RESULTS["testCaseResults"]


def test_a_real_servers_answers_come_out_as_it_sent_them(cli: Cli, localexa: Localexa) -> None:
    customer = localexa.create_customer()  # no postal code: the answer leaves it out
    skill = localexa.create_skill()
    token = localexa.event_token(customer, skill)
    network = ["--extended-pan-id", "dead00beef00cafe", "--network-name", "home"]
    key = ["--network-key", "00112233445566778899aabbccddeeff", "--pskc", "445f2b5ca6f2a93a55ce570a70efeecb"]
    cli.ok("thread", "put", *network, *key, token=token)  # no border agent id, PAN id nor channel

    with httpx.Client(limits=SERVED_LIMITS, base_url=localexa.url) as http:
        customers = http.get("/_localexa/customers", headers={"X-Localexa-Admin-Key": localexa.admin_key})
        networks = http.get(
            THREAD_NETWORKS,
            params={"extendedPanId": "dead00beef00cafe"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert cli.json("admin", "customers", "list") == customers.json()
    assert "postalCode" not in customers.json()[-1]
    assert (
        cli.json("thread", "list", "--extended-pan-id", "dead00beef00cafe", token=token)
        == (networks.json()["threadNetworks"])
    )
    assert "defaultBorderAgentId" not in networks.json()["threadNetworks"][0]
