"""Smart home capability evaluations (SMAPI `/v1/skills/{skillId}/smartHome/testing/...`, spec §2).

Three listings, two pagination shapes: test plans and results page with `paginationContext`, the
evaluation list with `paginationContextToken`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from localexa.client._async import AsyncResource, async_method, async_pager
from localexa.client._core import ApiRequest, Flow, Params, arguments, call, dump, parse_model, segment
from localexa.client._pagination import Page, Paged
from localexa.client._sync import SyncResource, sync_method, sync_pager
from localexa.client.types.enablement import Stage
from localexa.client.types.evaluations import (
    CapabilityTestPlanRef,
    EndpointRef,
    Evaluation,
    EvaluationCreated,
    EvaluationList,
    EvaluationRequest,
    EvaluationSummary,
    PaginationContext,
    TestCaseResult,
    TestCaseResultList,
    TestPlan,
    TestPlanList,
)

__all__ = ["AsyncEvaluations", "Evaluations"]

T = TypeVar("T")


def _base(skill_id: str) -> str:
    return f"/v1/skills/{segment(skill_id)}/smartHome/testing"


def _paging(max_results: int | None, token: str | None) -> dict[str, str | int | None]:
    return {"maxResults": max_results, "nextToken": token}


def _page(items: list[T], context: PaginationContext | None) -> Page[T]:
    """A page of test plans or results: their `paginationContext` holds the next token and the
    total count (the evaluation list's `paginationContextToken` is read without the count)."""
    if context is None:
        return Page(items=items)
    return Page(items=items, next_token=context.next_token, total_count=context.total_count)


def list_test_plans(
    skill_id: str, *, max_results: int | None = None, next_token: str | None = None
) -> Paged[TestPlan]:
    """`GET .../capabilityTestPlans`: the plans an evaluation can run."""

    def fetch(token: str | None) -> Flow[Page[TestPlan]]:
        path = f"{_base(skill_id)}/capabilityTestPlans"
        response = yield from call(ApiRequest("GET", path, params=_paging(max_results, token)))
        body = parse_model(response, TestPlanList)
        return _page(body.test_plans, body.pagination_context)

    return Paged(fetch, start=next_token)


def create(
    skill_id: str, *, test_plan_id: str, endpoint_id: str, stage: Stage = "development"
) -> Flow[EvaluationCreated]:
    """`POST .../capabilityEvaluations` (200): start a run; 409 ConflictError if one is in progress."""
    body = arguments(
        lambda: EvaluationRequest(
            capability_test_plan=CapabilityTestPlanRef(id=test_plan_id),
            endpoint=EndpointRef(endpoint_id=endpoint_id),
            stage=stage,
        ),
        names={"id": "test_plan_id"},  # the plan's reference is built alone: its field is `id`
    )
    path = f"{_base(skill_id)}/capabilityEvaluations"
    response = yield from call(ApiRequest("POST", path, json=dump(body)))
    return parse_model(response, EvaluationCreated)


def get(skill_id: str, evaluation_id: str) -> Flow[Evaluation]:
    """`GET .../capabilityEvaluations/{evaluationId}`: status, metrics and the original input."""
    path = f"{_base(skill_id)}/capabilityEvaluations/{segment(evaluation_id)}"
    response = yield from call(ApiRequest("GET", path))
    return parse_model(response, Evaluation)


def list_evaluations(
    skill_id: str,
    *,
    stage: Stage = "development",
    start_timestamp_from: datetime | None = None,
    start_timestamp_to: datetime | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Paged[EvaluationSummary]:
    """`GET .../capabilityEvaluations?stage=&startTimestampFrom=&startTimestampTo=`: past runs."""

    def fetch(token: str | None) -> Flow[Page[EvaluationSummary]]:
        params: Params = {
            "stage": stage,
            "startTimestampFrom": start_timestamp_from.isoformat() if start_timestamp_from else None,
            "startTimestampTo": start_timestamp_to.isoformat() if start_timestamp_to else None,
            **_paging(max_results, token),
        }
        path = f"{_base(skill_id)}/capabilityEvaluations"
        response = yield from call(ApiRequest("GET", path, params=params))
        body = parse_model(response, EvaluationList)
        context = body.pagination_context_token
        return Page(items=body.evaluations, next_token=context.next_token if context else None)

    return Paged(fetch, start=next_token)


def results(
    skill_id: str, evaluation_id: str, *, max_results: int | None = None, next_token: str | None = None
) -> Paged[TestCaseResult]:
    """`GET .../capabilityEvaluations/{evaluationId}/results`: each test case of a run."""

    def fetch(token: str | None) -> Flow[Page[TestCaseResult]]:
        path = f"{_base(skill_id)}/capabilityEvaluations/{segment(evaluation_id)}/results"
        response = yield from call(ApiRequest("GET", path, params=_paging(max_results, token)))
        body = parse_model(response, TestCaseResultList)
        return _page(body.test_case_results, body.pagination_context)

    return Paged(fetch, start=next_token)


class Evaluations(SyncResource):
    """`client.evaluations`: capability test plans, runs and their results."""

    test_plans = sync_pager(list_test_plans)
    create = sync_method(create)
    get = sync_method(get)
    list = sync_pager(list_evaluations)
    results = sync_pager(results)


class AsyncEvaluations(AsyncResource):
    test_plans = async_pager(list_test_plans)
    create = async_method(create)
    get = async_method(get)
    list = async_pager(list_evaluations)
    results = async_pager(results)
