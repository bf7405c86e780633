"""Spec alexa-api-surface.md §2: the evaluation API's error codes, the Location of a started run,
and its OpenAPI document agree with Amazon's model and with what it answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.evaluation.helpers import developer_with_skill, start
from tests.evaluation.test_api import assert_bad_request_error
from tests.factories import Admin


async def test_every_bad_paging_parameter_of_the_results_has_one_code(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """offset, maxResults and nextToken are paging parameters of one route: a bad one of each is the
    same INVALID_REQUEST (offset was INVALID_PARAMETER, maxResults INVALID_REQUEST)."""
    dev = await developer_with_skill(admin)
    # An unknown plan id is still a run (it ends in ERROR): enough for a results route to answer.
    evaluation_id = await start(client, dev, "no-such-plan", "kitchen")
    path = f"{dev.base}/capabilityEvaluations/{evaluation_id}/results"
    plans = await client.get(f"{dev.base}/capabilityTestPlans", params={"maxResults": 1}, headers=dev.headers)
    next_token = plans.json()["paginationContext"]["nextToken"]  # another list's: refused
    bad: list[dict[str, Any]] = [
        {"offset": "-1"},
        {"offset": "x"},
        {"offset": "1000000000"},
        {"offset": "1", "nextToken": next_token},
        {"maxResults": "0"},
        {"maxResults": "51"},
        {"nextToken": "not-a-token"},
        {"nextToken": next_token},
    ]
    for params in bad:
        answer = await client.get(path, params=params, headers=dev.headers)
        body = assert_bad_request_error(answer, 400)
        assert body["code"] == "INVALID_REQUEST", (params, body)
        assert body["violations"] == [{"code": "INVALID_REQUEST", "message": body["message"]}], params
    said = (await client.get(path, params={"offset": "-1"}, headers=dev.headers)).json()["message"]
    assert "999999999" in said  # the range the document states


async def test_the_document_shows_the_bad_request_error_the_api_answers(client: httpx.AsyncClient) -> None:
    """400, 401, 403, 404 and 429 of every evaluation operation are BadRequestError (with
    violations, as served: tests/conformance); the document said StandardizedError for 401, 404
    and 429, the other SMAPI routes' shape. 409 and 5xx stay the Error shape."""
    doc = (await client.get("/_localexa/openapi.json")).json()
    operations = [
        (path, method, operation)
        for path, item in doc["paths"].items()
        if "/smartHome/testing/" in path
        for method, operation in item.items()
    ]
    assert len(operations) == 5
    bad_request = {"$ref": "#/components/schemas/SmapiBadRequestError"}
    error = {"$ref": "#/components/schemas/SmapiStandardizedError"}
    for path, method, operation in operations:
        responses = operation["responses"]
        for status in ("400", "401", "403", "404", "429"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == bad_request, (method, path, status)
        for status in ("500", "503"):
            assert responses[status]["content"]["application/json"]["schema"] == error, (method, path)
        assert "Retry-After" in responses["429"]["headers"]
    create = doc["paths"]["/v1/skills/{skill_id}/smartHome/testing/capabilityEvaluations"]["post"]
    assert create["responses"]["409"]["content"]["application/json"]["schema"] == error


async def test_a_started_run_answers_its_location(client: httpx.AsyncClient, admin: Admin) -> None:
    """Amazon's swagger declares `Location` on the POST's 200; it is the run's GET path."""
    dev = await developer_with_skill(admin)
    body = {
        "capabilityTestPlan": {"id": "no-such-plan"},
        "endpoint": {"endpointId": "kitchen"},
        "stage": "live",
    }
    started = await client.post(f"{dev.base}/capabilityEvaluations", json=body, headers=dev.headers)
    assert started.status_code == 200, started.text
    location = started.headers["Location"]
    assert location == f"{dev.base}/capabilityEvaluations/{started.json()['id']}"
    followed = await client.get(location, headers=dev.headers)
    assert followed.status_code == 200, followed.text
    assert followed.json()["input"] == body
    doc = (await client.get("/_localexa/openapi.json")).json()
    ok = doc["paths"]["/v1/skills/{skill_id}/smartHome/testing/capabilityEvaluations"]["post"]["responses"][
        "200"
    ]
    assert ok["headers"]["Location"]["required"] is True


async def test_an_unknown_path_under_the_api_is_its_own_404(client: httpx.AsyncClient, admin: Admin) -> None:
    """A path no route has under `…/smartHome/testing/` answers the 404 of an unknown run:
    BadRequestError with `violations` (it lacked them until 2026-12-06). Elsewhere under SMAPI a
    404 stays StandardizedError."""
    dev = await developer_with_skill(admin)
    for tail in ("capabilityTestPlans/", "capabilityEvaluations/x/y/z", "nothing", ""):
        answer = await client.get(f"{dev.base}/{tail}", headers=dev.headers)
        body = assert_bad_request_error(answer, 404)
        assert body["code"] == "NOT_FOUND", (tail, body)
        assert str(body["message"]).startswith("No resource at GET "), (tail, body)
        assert body["violations"] == [{"code": "NOT_FOUND", "message": body["message"]}], tail
    elsewhere = await client.get("/v1/skills/x/nothingHere", headers=dev.headers)
    assert elsewhere.status_code == 404
    assert "violations" not in elsewhere.json()


async def test_a_wrong_method_under_the_api_is_its_own_405(client: httpx.AsyncClient, admin: Admin) -> None:
    """`DELETE …/capabilityEvaluations` answered 405 StandardizedError, without `violations`, after
    the 404 got them (re-verification of 2026-12-06): BadRequestError, with `Allow`."""
    dev = await developer_with_skill(admin)
    for method, tail in (("DELETE", "capabilityEvaluations"), ("PUT", "capabilityTestPlans")):
        answer = await client.request(method, f"{dev.base}/{tail}", headers=dev.headers)
        body = assert_bad_request_error(answer, 405)
        assert body["code"] == "METHOD_NOT_ALLOWED", (tail, body)
        assert body["violations"] == [{"code": "METHOD_NOT_ALLOWED", "message": body["message"]}], tail
        assert "GET" in answer.headers["allow"], tail


async def test_the_request_guards_refusals_under_the_api_carry_violations(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """A 413, 415 or 501 refused before any handler answered `{code, message}` without
    `violations` under the API, while its 400/404/405 had them (rev3 QA): a generated client's
    BadRequestError saw two shapes. Elsewhere under SMAPI they stay StandardizedError."""
    dev = await developer_with_skill(admin)
    url = f"{dev.base}/capabilityEvaluations"
    json_type = {**dev.headers, "Content-Type": "application/json"}
    refused = [
        (415, "UNSUPPORTED_MEDIA_TYPE", {**json_type, "Content-Encoding": "br"}, b"{}"),
        (501, "NOT_IMPLEMENTED", {**json_type, "Transfer-Encoding": "gzip"}, b"{}"),
        (413, "REQUEST_ENTITY_TOO_LARGE", json_type, b" " * (1024 * 1024 + 1)),
    ]
    for status, code, headers, content in refused:
        answer = await client.post(url, headers=headers, content=content)
        body = assert_bad_request_error(answer, status)
        assert body["code"] == code, body
        assert body["violations"] == [{"code": code, "message": body["message"]}], body
        linking = f"/v1/skills/{dev.skill.skill_id}/stages/development/accountLinkingClient"
        elsewhere = await client.put(linking, headers=headers, content=content)
        assert elsewhere.status_code == status, elsewhere.text
        assert "violations" not in elsewhere.json(), elsewhere.text


async def test_a_streamed_body_over_the_cap_under_the_api_carries_its_violation(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """A body with no Content-Length found too large while read: the same 413, with violations."""
    dev = await developer_with_skill(admin)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * (64 * 1024)

    headers = {**dev.headers, "Content-Type": "application/json"}
    answer = await client.post(f"{dev.base}/capabilityEvaluations", headers=headers, content=chunks())
    body = assert_bad_request_error(answer, 413)
    assert body["violations"] == [{"code": body["code"], "message": body["message"]}], body
