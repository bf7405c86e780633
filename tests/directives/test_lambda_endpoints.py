"""Lambda-style skill endpoints (`python:package.module:function`) run in a worker process each."""

from __future__ import annotations

import httpx
import pytest

from localexa.samples.mylights.lambda_handler import REMOTE_ENV, handler
from tests.directives.conftest import MyLights, endpoints_after_link, link_customer, send
from tests.factories import Admin

HANDLERS = "python:tests.directives.handlers"


async def test_a_lambda_in_front_of_the_device_cloud_runs_the_whole_loop(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sample's own Lambda handler, in front of the device cloud it reaches over HTTP.
    monkeypatch.setenv(REMOTE_ENV, mylights.url)
    linked = await link_customer(admin, client, mylights, endpoint=f"python:{handler.__module__}:handler")

    view = await endpoints_after_link(admin, linked)
    assert view["discovery"]["status"] == "SUCCEEDED", view
    assert view["acceptGrant"]["status"] == "SUCCEEDED", view
    assert mylights.cloud.event_tokens("demo") is not None
    light_id = view["endpoints"][0]["endpointId"]

    answer = await send(
        admin,
        {
            "userId": linked.user_id,
            "skillId": linked.skill_id,
            "endpointId": light_id,
            "namespace": "Alexa.PowerController",
            "name": "TurnOn",
        },
    )
    assert answer.json()["verdict"]["valid"] is True, answer.json()
    assert mylights.cloud.light("demo", light_id).power == "ON"


@pytest.mark.parametrize(
    ("handler", "kind", "detail"),
    [
        pytest.param("crash", "PROCESS_CRASHED", "SIGSEGV", id="segfault"),
        pytest.param("exit_hard", "PROCESS_CRASHED", "exit code 3", id="os-exit"),
        pytest.param(
            "raise_error", "HANDLER_ERROR", "RuntimeError: the device cloud is on fire", id="exception"
        ),
        pytest.param("missing", "HANDLER_ERROR", "has no attribute 'missing'", id="no-such-function"),
        # Its text over 6 MB was reported ANSWER_TOO_LARGE ("returned more than 6291456 bytes"),
        # the exception's type and trace lost (review of 2026-12-07): cut to 64 KB now.
        pytest.param("raise_huge_error", "HANDLER_ERROR", "ValueError: payload: xxx", id="huge-exception"),
    ],
)
async def test_a_failing_handler_is_a_clean_error(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights, handler: str, kind: str, detail: str
) -> None:
    linked = await link_customer(admin, client, mylights, endpoint=f"{HANDLERS}:{handler}", permissions=[])
    await endpoints_after_link(admin, linked)

    answer = await send(
        admin,
        {
            "userId": linked.user_id,
            "skillId": linked.skill_id,
            "endpointId": "light-1",
            "namespace": "Alexa",
            "name": "ReportState",
        },
    )

    assert answer.status_code == 200
    result = answer.json()
    assert result["error"]["type"] == kind
    assert detail in result["error"]["message"]
    assert result["verdict"] == {
        "valid": False,
        "problems": [{"path": "", "message": result["error"]["message"]}],
        "name": None,
        "errorType": None,
    }
    assert (await client.get("/_localexa/health")).status_code == 200


async def test_an_answer_that_breaks_the_rules_gets_a_verdict_with_problems(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    linked = await link_customer(
        admin, client, mylights, endpoint=f"{HANDLERS}:wrong_correlation", permissions=[]
    )
    await endpoints_after_link(admin, linked)

    result = (
        await send(
            admin,
            {
                "userId": linked.user_id,
                "skillId": linked.skill_id,
                "endpointId": "light-1",
                "namespace": "Alexa.PowerController",
                "name": "TurnOn",
                "correlationToken": "my-own-token",
            },
        )
    ).json()

    assert result["directive"]["directive"]["header"]["correlationToken"] == "my-own-token"
    assert result["error"] is None
    assert result["verdict"]["valid"] is False
    assert {"path": "event.header.correlationToken", "message": "does not match the directive's"} in result[
        "verdict"
    ]["problems"]
