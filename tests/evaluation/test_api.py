"""The evaluation API's HTTP surface: scopes, vendor rules, error shapes, 409, pagination."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from localexa.server.app import create_app
from localexa.server.evaluation.plans import all_plans, plan_id_for
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.evaluation.helpers import READ, Developer, bearer, developer_with_skill, finished, start
from tests.factories import Admin
from tests.tampering import tampered


def body(
    plan: str = "PowerController", endpoint: str = "kitchen", stage: str = "development"
) -> dict[str, object]:
    return {
        "capabilityTestPlan": {"id": plan_id_for(plan)},
        "endpoint": {"endpointId": endpoint},
        "stage": stage,
    }


def assert_bad_request_error(response: httpx.Response, status: int) -> dict[str, object]:
    """BadRequestError: {"message", "violations": [{"code", "message"}]} (spec §2)."""
    assert response.status_code == status, response.text
    payload: dict[str, object] = response.json()
    assert isinstance(payload["message"], str)
    violations = payload["violations"]
    assert isinstance(violations, list)
    assert violations
    assert {"code", "message"} <= set(violations[0])
    assert response.headers["X-Amzn-RequestId"]
    return payload


async def test_test_plans_are_listed_and_paged(client: httpx.AsyncClient, admin: Admin) -> None:
    dev = await developer_with_skill(admin)
    names: list[str] = []
    token: str | None = None
    for _ in range(5):
        params: dict[str, str | int] = {"maxResults": 4}
        if token:
            params["nextToken"] = token
        page = await client.get(f"{dev.base}/capabilityTestPlans", params=params, headers=dev.headers)
        assert page.status_code == 200, page.text
        names += [plan["name"] for plan in page.json()["testPlans"]]
        if "paginationContext" not in page.json():  # the last page (Amazon's REST reference)
            break
        context = page.json()["paginationContext"]
        assert context["totalCount"] == 9
        token = context["nextToken"]
    assert names == sorted(plan.name for plan in all_plans())
    assert len(names) == 9
    assert {"PowerController", "ThermostatAuto", "ThermostatCool_FAHRENHEIT"} <= set(names)
    everything = await client.get(f"{dev.base}/capabilityTestPlans", headers=dev.headers)
    ids = {plan["name"]: plan["id"] for plan in everything.json()["testPlans"]}
    assert ids["PowerController"] == plan_id_for("PowerController")  # stable, minted from the name
    assert "paginationContext" not in everything.json()


async def test_max_results_is_checked(client: httpx.AsyncClient, admin: Admin) -> None:
    dev = await developer_with_skill(admin)
    for max_results in ("0", "51", "ten"):
        answer = await client.get(
            f"{dev.base}/capabilityTestPlans", params={"maxResults": max_results}, headers=dev.headers
        )
        assert_bad_request_error(answer, 400)
    # Given twice, it was the last one, silently (the Credential Locker refused it; QA of 2026-12-06).
    for query in ("maxResults=5&maxResults=6", "stage=development&maxResults=5&stage=live"):
        answer = await client.get(f"{dev.base}/capabilityEvaluations?{query}", headers=dev.headers)
        assert_bad_request_error(answer, 400)
        twice = query.split("&")[-1].split("=")[0]
        assert (
            answer.json()["violations"][0]["message"]
            == f"The query parameter {twice} is given more than once."
        )
        # Without a valid token: 401 first, as for every other bad parameter (re-verification).
        for headers in ({}, {"Authorization": "Bearer nope"}):
            refused = await client.get(f"{dev.base}/capabilityEvaluations?{query}", headers=headers)
            assert refused.status_code == 401, refused.text


async def test_auth_and_vendor_rules(client: httpx.AsyncClient, admin: Admin) -> None:
    dev = await developer_with_skill(admin)
    plans = f"{dev.base}/capabilityTestPlans"
    runs = f"{dev.base}/capabilityEvaluations"
    assert_bad_request_error(await client.get(plans), 401)
    assert_bad_request_error(await client.get(plans, headers=bearer("Atza|not-a-token")), 401)
    # The token first, whatever the body: a broken one was a 400 before the token was looked at.
    for headers in ({}, bearer("Atza|not-a-token")):
        for broken in (b"{not json", b"[]", b""):
            answer = await client.post(runs, content=broken, headers=headers)
            assert_bad_request_error(answer, 401)
    # What the request guard refuses from the head alone comes before the token (README since
    # 2026-12-06): a body over the cap is 413, then a coded body 415, then a missing token 401.
    too_large = b"{" + b" " * 1_048_576 + b"}"
    gzip_coded = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    assert (await client.post(runs, content=too_large, headers=gzip_coded)).status_code == 413
    assert (await client.post(runs, content=b"\x1f\x8b...", headers=gzip_coded)).status_code == 415
    reader = await admin.access_token(dev.customer.user_id, [READ])
    assert (await client.get(plans, headers=bearer(reader))).status_code == 200
    assert_bad_request_error(await client.post(runs, json=body(), headers=bearer(reader)), 403)
    other = await developer_with_skill(admin)
    assert_bad_request_error(await client.get(plans, headers=other.headers), 403)
    assert_bad_request_error(await client.post(runs, json=body(), headers=other.headers), 403)
    unknown = "/v1/skills/amzn1.ask.skill.nope/smartHome/testing/capabilityTestPlans"
    assert_bad_request_error(await client.get(unknown, headers=dev.headers), 404)
    missing = await client.get(f"{runs}/6b1c1ad9-0000-4000-8000-000000000000", headers=dev.headers)
    payload = assert_bad_request_error(missing, 404)
    assert "was not found" in str(payload["message"])
    # Another vendor's developer cannot read a run either.
    evaluation_id = await start(client, dev, plan_id_for("PowerController"), "kitchen")
    assert_bad_request_error(await client.get(f"{runs}/{evaluation_id}", headers=other.headers), 403)


BAD_BODIES = [
    {"capabilityTestPlan": {"id": "x"}, "endpoint": {"endpointId": "kitchen"}, "stage": "beta"},
    {"capabilityTestPlan": {"id": "x"}, "stage": "development"},
    {"capabilityTestPlan": {"id": ""}, "endpoint": {"endpointId": "kitchen"}, "stage": "development"},
    {"capabilityTestPlan": {"id": "x"}, "endpoint": {"endpointId": "k" * 257}, "stage": "development"},
    {"capabilityTestPlan": {"id": "x"}, "endpoint": {"endpointId": "light 1/x"}, "stage": "development"},
]


async def test_bad_bodies_are_400(client: httpx.AsyncClient, admin: Admin) -> None:
    dev = await developer_with_skill(admin)
    for bad in BAD_BODIES:
        answer = await client.post(f"{dev.base}/capabilityEvaluations", json=bad, headers=dev.headers)
        payload = assert_bad_request_error(answer, 400)
        # One code for every 400 of this API, top level and violations (the paging parameters'
        # too: test_spec_evaluation.py); a schema violation said INVALID_REQUEST_PARAMETER.
        assert payload["code"] == "INVALID_REQUEST", (bad, payload)
        assert isinstance(payload["violations"], list)
        assert {v["code"] for v in payload["violations"]} == {"INVALID_REQUEST"}, (bad, payload)
    broken = await client.post(
        f"{dev.base}/capabilityEvaluations",
        content=b"{not json",
        headers={**dev.headers, "Content-Type": "application/json"},
    )
    payload = assert_bad_request_error(broken, 400)
    assert payload["violations"] == [{"code": "INVALID_REQUEST", "message": payload["message"]}]
    listed = await client.get(f"{dev.base}/capabilityEvaluations?stage=development", headers=dev.headers)
    assert listed.json()["evaluations"] == []  # nothing half-written


async def test_a_second_run_for_a_busy_endpoint_is_409(
    client: httpx.AsyncClient, admin: Admin, app: FastAPI
) -> None:
    await app.state.evaluation_worker.stop()  # keep the first run queued
    dev = await developer_with_skill(admin)
    runs = f"{dev.base}/capabilityEvaluations"
    first = await client.post(runs, json=body(endpoint="kitchen"), headers=dev.headers)
    assert first.status_code == 200
    busy = await client.post(runs, json=body("BrightnessController", endpoint="kitchen"), headers=dev.headers)
    assert busy.status_code == 409
    assert busy.json() == {
        "code": "CONFLICT",
        "message": "A test run is already in progress for the specified endpoint",
    }
    other = await client.post(runs, json=body(endpoint="porch"), headers=dev.headers)
    assert other.status_code == 200
    status = await client.get(f"{runs}/{first.json()['id']}", headers=dev.headers)
    assert status.json()["status"] == "IN_PROGRESS"  # queued runs show as in progress
    assert "endTimestamp" not in status.json()


async def _three_runs(client: httpx.AsyncClient, dev: Developer) -> list[str]:
    """Three quick runs (an unknown plan ends at once), oldest first."""
    ids = []
    for endpoint in ("e1", "e2", "e3"):
        evaluation_id = await start(client, dev, "00000000-0000-4000-8000-000000000000", endpoint)
        await finished(client, dev, evaluation_id)
        ids.append(evaluation_id)
    return ids


async def test_runs_are_listed_newest_first_and_paged(client: httpx.AsyncClient, admin: Admin) -> None:
    dev = await developer_with_skill(admin)
    ids = await _three_runs(client, dev)
    runs = f"{dev.base}/capabilityEvaluations"
    first = await client.get(runs, params={"stage": "development", "maxResults": 2}, headers=dev.headers)
    assert first.status_code == 200, first.text
    assert [e["id"] for e in first.json()["evaluations"]] == [ids[2], ids[1]]
    token = first.json()["paginationContextToken"]["nextToken"]
    assert "paginationContext" not in first.json()
    second = await client.get(
        runs, params={"stage": "development", "maxResults": 2, "nextToken": token}, headers=dev.headers
    )
    assert [e["id"] for e in second.json()["evaluations"]] == [ids[0]]
    assert "paginationContextToken" not in second.json()
    entry = second.json()["evaluations"][0]
    assert entry["status"] == "ERROR"
    assert entry["endpointId"] == "e1"
    assert entry["testPlanId"] == "00000000-0000-4000-8000-000000000000"
    assert entry["sourceTestPlanIds"] == [entry["testPlanId"]]
    assert entry["startTimestamp"] <= entry["endTimestamp"]
    # A token only pages the query it was issued for.
    foreign = await client.get(runs, params={"stage": "live", "nextToken": token}, headers=dev.headers)
    assert_bad_request_error(foreign, 400)
    forged = await client.get(
        runs, params={"stage": "development", "nextToken": tampered(token)}, headers=dev.headers
    )
    assert_bad_request_error(forged, 400)


SINCE = [
    ("2024-01-01 00:00:00+00:00", 3),  # what the Python SDK sends
    ("2024-01-01T00:00:00Z", 3),
    ("2024-01-01 00:00:00 00:00", 3),  # an unencoded "+" arrives as a space
    ("2024-01-01", 3),
    ("1704067200", 3),  # epoch seconds
    ("2999-01-01T00:00:00+01:00", 0),
]


async def test_start_timestamps_filter_and_are_parsed_leniently(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    dev = await developer_with_skill(admin)
    await _three_runs(client, dev)
    runs = f"{dev.base}/capabilityEvaluations"
    for since, count in SINCE:
        listed = await client.get(
            runs, params={"stage": "development", "startTimestampFrom": since}, headers=dev.headers
        )
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["evaluations"]) == count, since
    until = await client.get(
        runs, params={"stage": "development", "startTimestampTo": "2024-01-01T00:00:00Z"}, headers=dev.headers
    )
    assert until.json()["evaluations"] == []
    for params in (
        {},
        {"stage": "beta"},
        {"stage": "development", "startTimestampFrom": "yesterday"},
        # Valid ISO-8601, but in the year 0 or 10000 once in UTC (was an OverflowError: a 500).
        {"stage": "development", "startTimestampFrom": "0001-01-01T00:00:00+01:00"},
        {"stage": "development", "startTimestampTo": "9999-12-31T23:59:59-01:00"},
    ):
        assert_bad_request_error(await client.get(runs, params=params, headers=dev.headers), 400)
    live = await client.get(runs, params={"stage": "live"}, headers=dev.headers)
    assert live.json() == {"evaluations": []}


async def test_too_many_requests_is_a_bad_request_error(settings: Settings) -> None:
    limited = create_app(settings.model_copy(update={"rate_limit": "3/minute"}))
    async with limited.router.lifespan_context(limited):
        transport = httpx.ASGITransport(app=limited)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
            dev = await developer_with_skill(Admin(client, ADMIN_KEY))
            answers = [
                await client.get(f"{dev.base}/capabilityTestPlans", headers=dev.headers) for _ in range(4)
            ]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    payload = assert_bad_request_error(answers[3], 429)
    assert "Rate limit" in str(payload["message"])
    assert int(answers[3].headers["Retry-After"]) >= 1
