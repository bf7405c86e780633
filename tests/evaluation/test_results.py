"""Results page by `nextToken` (the SDK) or `offset` (the docs), with `totalCount`."""

from __future__ import annotations

import httpx

from tests.evaluation.helpers import READWRITE, bearer, linked_developer, run
from tests.evaluation.skills import SkillServer
from tests.evaluation.test_api import assert_bad_request_error
from tests.factories import Admin

NAMES = ["Bri_1.0", "Bri_1.1", "Bri_2.0", "Bri_2.1", "Bri_3.0", "Bri_3.1"]


async def test_results_page_by_token_and_by_offset(
    client: httpx.AsyncClient, admin: Admin, mylights: SkillServer
) -> None:
    dev = await linked_developer(client, admin, mylights)
    _, everything = await run(client, dev, "BrightnessController", "porch")
    assert [r["name"] for r in everything] == NAMES
    evaluation_id = (
        await client.get(
            f"{dev.base}/capabilityEvaluations", params={"stage": "development"}, headers=dev.headers
        )
    ).json()["evaluations"][0]["id"]
    path = f"{dev.base}/capabilityEvaluations/{evaluation_id}/results"

    first = await client.get(path, params={"maxResults": 4}, headers=dev.headers)
    assert first.status_code == 200, first.text
    assert [r["name"] for r in first.json()["testCaseResults"]] == NAMES[:4]
    context = first.json()["paginationContext"]
    assert context["totalCount"] == 6
    second = await client.get(
        path, params={"maxResults": 4, "nextToken": context["nextToken"]}, headers=dev.headers
    )
    assert [r["name"] for r in second.json()["testCaseResults"]] == NAMES[4:]
    # The last page has no paginationContext (Amazon's Smart Home REST reference).
    assert "paginationContext" not in second.json()

    middle = await client.get(path, params={"maxResults": 3, "offset": 2}, headers=dev.headers)
    assert [r["name"] for r in middle.json()["testCaseResults"]] == NAMES[2:5]
    after = await client.get(
        path,
        params={"maxResults": 3, "nextToken": middle.json()["paginationContext"]["nextToken"]},
        headers=dev.headers,
    )
    assert [r["name"] for r in after.json()["testCaseResults"]] == NAMES[5:]
    past_end = await client.get(path, params={"offset": 10}, headers=dev.headers)
    assert past_end.json() == {"testCaseResults": []}

    token = context["nextToken"]
    assert_bad_request_error(
        await client.get(path, params={"offset": 1, "nextToken": token}, headers=dev.headers), 400
    )
    assert_bad_request_error(await client.get(path, params={"offset": "-1"}, headers=dev.headers), 400)
    assert_bad_request_error(await client.get(path, params={"maxResults": 51}, headers=dev.headers), 400)
    # A results token does not page the evaluation list.
    listed = await client.get(
        f"{dev.base}/capabilityEvaluations",
        params={"stage": "development", "nextToken": token},
        headers=dev.headers,
    )
    assert_bad_request_error(listed, 400)

    # Nor another run's results: the message named "filter parameters" only (review36c).
    await run(client, dev, "BrightnessController", "porch")
    runs = await client.get(
        f"{dev.base}/capabilityEvaluations", params={"stage": "development"}, headers=dev.headers
    )
    other_id = runs.json()["evaluations"][0]["id"]
    assert other_id != evaluation_id
    other = await client.get(
        f"{dev.base}/capabilityEvaluations/{other_id}/results",
        params={"nextToken": token},
        headers=dev.headers,
    )
    assert_bad_request_error(other, 400)
    assert "issued for other parameters (the path's or the filters')" in other.json()["message"], other.text


async def test_page_tokens_expire_after_24_hours(
    client: httpx.AsyncClient, admin: Admin, mylights: SkillServer
) -> None:
    dev = await linked_developer(client, admin, mylights)
    page = await client.get(f"{dev.base}/capabilityTestPlans", params={"maxResults": 2}, headers=dev.headers)
    token = page.json()["paginationContext"]["nextToken"]
    await admin.advance_clock(24 * 3600 + 1)
    fresh = bearer(await admin.access_token(dev.customer.user_id, [READWRITE]))  # the old one expired too
    expired = await client.get(
        f"{dev.base}/capabilityTestPlans", params={"maxResults": 2, "nextToken": token}, headers=fresh
    )
    payload = assert_bad_request_error(expired, 400)
    assert "expired" in str(payload["message"])
