"""Wire shapes of the Smart Home Capability Evaluation API (spec alexa-api-surface.md §2, from
`ask_smapi_model/v1/smart_home_evaluation/`): camelCase JSON.

Note the two pagination keys: the evaluation list answers `paginationContextToken`, results and
test plans answer `paginationContext` (with `totalCount`). As Amazon's Smart Home REST reference
says, `paginationContext` is present only when more results follow: "If paginationContext is
absent from the response, you've received the last page of results" (a client looping while it
is present would otherwise never stop).
"""

from __future__ import annotations

import enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from localexa.server.core.json_body import smapi_model
from localexa.server.evaluation.models import ERROR, FAILED, IN_PROGRESS, PASSED
from localexa.skill.messages import ENDPOINT_ID_PATTERN

Stage = Literal["development", "live"]
STAGES: tuple[str, ...] = ("development", "live")
#: The SDK docstrings: "maxResults has an upper limit of 50".
MAX_RESULTS = 50
#: The results route's `offset` (the docs' table): at most 9 digits.
MAX_OFFSET = 999_999_999


class ErrorCode(enum.StrEnum):
    """`SHCapabilityErrorCode`."""

    NO_SUCH_ENDPOINT = "NO_SUCH_ENDPOINT"
    NO_SUCH_SKILL_STAGE = "NO_SUCH_SKILL_STAGE"
    NO_SUCH_TEST_PLAN = "NO_SUCH_TEST_PLAN"
    MULTIPLE_MATCHED_ENDPOINTS = "MULTIPLE_MATCHED_ENDPOINTS"
    MULTIPLE_MATCHED_TEST_PLANS = "MULTIPLE_MATCHED_TEST_PLANS"
    CAPABILITY_NOT_SUPPORTED = "CAPABILITY_NOT_SUPPORTED"
    DISCOVERY_FAILED = "DISCOVERY_FAILED"
    TEST_CASE_TIME_OUT = "TEST_CASE_TIME_OUT"


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class TestPlanRef(CamelModel):
    __test__ = False

    id: str = Field(min_length=1, max_length=64)


class EndpointRef(CamelModel):
    # The v3 envelope's endpointId rules (spec §4): 1-256 characters of a restricted set.
    endpoint_id: str = Field(min_length=1, max_length=256, pattern=ENDPOINT_ID_PATTERN)


class EvaluationRequest(CamelModel):
    """EvaluateSHCapabilityRequest."""

    capability_test_plan: TestPlanRef
    endpoint: EndpointRef
    stage: Stage


_REQUEST_SHAPE = '{"capabilityTestPlan": {"id": …}, "endpoint": {"endpointId": …}, "stage": …}'


def parse_evaluation_request(raw: bytes) -> EvaluationRequest:
    """The run body, parsed by the service once the caller may use the skill (a caller without
    access learns nothing of the schema from a 400). Every 400 of this API is INVALID_REQUEST, in
    `code` and in each violation."""
    return smapi_model(EvaluationRequest, raw, shape=_REQUEST_SHAPE)


class EvaluationStarted(EvaluationRequest):
    """EvaluateSHCapabilityResponse: the request's fields plus the evaluation id."""

    id: str


class CapabilityError(CamelModel):
    code: str
    message: str


class Metrics(CamelModel):
    total_test_cases: int
    passed_test_cases: int
    failed_test_cases: int
    error_test_cases: int


#: The statuses the document names (since 2026-12-06); the fields stay `str`, so an answer holds
#: what the row does and a value outside the list is never a 500. A queued run shows IN_PROGRESS
#: (service.wire_status); a test case is never in progress.
_RUN_STATUS = Field(json_schema_extra={"enum": [IN_PROGRESS, PASSED, FAILED, ERROR]})
_CASE_STATUS = Field(json_schema_extra={"enum": [PASSED, FAILED, ERROR]})


class EvaluationView(CamelModel):
    """GetSHCapabilityEvaluationResponse."""

    start_timestamp: str
    end_timestamp: str | None = None
    status: str = _RUN_STATUS
    error: CapabilityError | None = None
    input: EvaluationRequest
    metrics: dict[str, Metrics]


class EvaluationSummary(CamelModel):
    id: str
    status: str = _RUN_STATUS
    start_timestamp: str
    end_timestamp: str | None = None
    endpoint_id: str
    test_plan_id: str
    source_test_plan_ids: list[str]


class NextToken(CamelModel):
    next_token: str | None = None


class PaginationContext(CamelModel):
    next_token: str | None = None
    total_count: int


class EvaluationList(CamelModel):
    """ListSHCapabilityEvaluationsResponse."""

    pagination_context_token: NextToken | None = None
    evaluations: list[EvaluationSummary]


class TestCaseResultView(CamelModel):
    __test__ = False

    name: str
    status: str = _CASE_STATUS
    directive: dict[str, Any] | None = None
    actual_response: dict[str, Any] | None = None
    expected_response: dict[str, Any] | None = None
    actual_capability_states: list[dict[str, Any]] = []
    expected_capability_states: list[dict[str, Any]] = []
    error: CapabilityError | None = None
    #: localexa only (left out when empty): why a FAILED case failed, in words.
    reasons: list[str] | None = None


class ResultList(CamelModel):
    """GetSHCapabilityEvaluationResultsResponse."""

    #: Only when more results follow (module doc).
    pagination_context: PaginationContext | None = None
    test_case_results: list[TestCaseResultView]


class TestPlanView(CamelModel):
    __test__ = False

    id: str
    name: str


class TestPlanList(CamelModel):
    """ListSHCapabilityTestPlansResponse."""

    __test__ = False

    #: Only when more results follow (module doc).
    pagination_context: PaginationContext | None = None
    test_plans: list[TestPlanView]
