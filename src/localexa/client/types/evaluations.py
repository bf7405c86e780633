"""Smart Home Capability Evaluation wire models (SMAPI; spec alexa-api-surface.md §2).

Statuses are plain strings (`PASSED | FAILED | IN_PROGRESS | ERROR` for evaluations,
`PASSED | FAILED | ERROR` for test cases), so a new value never breaks a client.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from localexa.client.types._base import WireModel
from localexa.client.types.enablement import Stage

__all__ = [
    "CapabilityTestPlanRef",
    "EndpointRef",
    "Evaluation",
    "EvaluationCreated",
    "EvaluationError",
    "EvaluationList",
    "EvaluationMetrics",
    "EvaluationRequest",
    "EvaluationSummary",
    "PaginationContext",
    "TestCaseResult",
    "TestCaseResultList",
    "TestPlan",
    "TestPlanList",
]


class CapabilityTestPlanRef(WireModel):
    id: str


class EndpointRef(WireModel):
    endpoint_id: str


class EvaluationRequest(WireModel):
    """`POST .../capabilityEvaluations` body (EvaluateSHCapabilityRequest)."""

    capability_test_plan: CapabilityTestPlanRef
    endpoint: EndpointRef
    stage: Stage = "development"


class EvaluationCreated(WireModel):
    """`POST .../capabilityEvaluations` 200: the request echoed, plus the evaluation `id`."""

    id: str
    capability_test_plan: CapabilityTestPlanRef | None = None
    endpoint: EndpointRef | None = None
    stage: str | None = None


class EvaluationError(WireModel):
    code: str | None = None
    message: str | None = None


class EvaluationMetrics(WireModel):
    total_test_cases: int = 0
    passed_test_cases: int = 0
    failed_test_cases: int = 0
    error_test_cases: int = 0


class Evaluation(WireModel):
    """`GET .../capabilityEvaluations/{evaluationId}` 200 (GetSHCapabilityEvaluationResponse)."""

    status: str
    start_timestamp: datetime | None = None
    end_timestamp: datetime | None = None
    error: EvaluationError | None = None
    input: EvaluationRequest | None = None
    metrics: dict[str, EvaluationMetrics] | None = None


class EvaluationSummary(WireModel):
    """One entry of the evaluation list."""

    id: str
    status: str | None = None
    start_timestamp: datetime | None = None
    end_timestamp: datetime | None = None
    endpoint_id: str | None = None
    test_plan_id: str | None = None
    source_test_plan_ids: list[str] | None = None


class TestCaseResult(WireModel):
    """One test case of a run; directives, responses and states are free-form objects."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    name: str
    status: str
    directive: dict[str, Any] | None = None
    actual_response: dict[str, Any] | None = None
    expected_response: dict[str, Any] | None = None
    actual_capability_states: list[dict[str, Any]] | None = None
    expected_capability_states: list[dict[str, Any]] | None = None
    error: EvaluationError | None = None
    #: localexa only: why a FAILED case failed, in words (Amazon's results do not say).
    reasons: list[str] | None = None


class TestPlan(WireModel):
    __test__: ClassVar[bool] = False  # not a pytest test class

    id: str
    name: str | None = None


class PaginationContext(WireModel):
    next_token: str | None = None
    total_count: int | None = None


class TestPlanList(WireModel):
    __test__: ClassVar[bool] = False

    test_plans: list[TestPlan] = []
    pagination_context: PaginationContext | None = None


class EvaluationList(WireModel):
    """The evaluation list pages with `paginationContextToken` (sic), unlike the others."""

    evaluations: list[EvaluationSummary] = []
    pagination_context_token: PaginationContext | None = None


class TestCaseResultList(WireModel):
    __test__: ClassVar[bool] = False

    test_case_results: list[TestCaseResult] = []
    pagination_context: PaginationContext | None = None
