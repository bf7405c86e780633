"""Run as a script by test_amazon_sdk.py: Amazon's SMAPI SDK against a localexa server.

    python amazon_sdk_client.py BASE CLIENT_ID CLIENT_SECRET REFRESH_TOKEN SKILL_ID PLAN_ID

Prints what it saw as JSON. The LWA endpoint is set on the LwaClient's own ApiConfiguration,
as spec §6 shows (the builder cannot set it).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import TypeVar

from ask_sdk_model_runtime import (
    ApiConfiguration,
    AuthenticationConfiguration,
    DefaultApiClient,
    DefaultSerializer,
)
from ask_sdk_model_runtime.exceptions import ServiceException
from ask_sdk_model_runtime.lwa import LwaClient
from ask_smapi_model.services.skill_management import SkillManagementServiceClient
from ask_smapi_model.v1.bad_request_error import BadRequestError
from ask_smapi_model.v1.error import Error
from ask_smapi_model.v1.smart_home_evaluation import (
    EvaluateSHCapabilityResponse,
    GetSHCapabilityEvaluationResponse,
    GetSHCapabilityEvaluationResultsResponse,
    ListSHCapabilityEvaluationsResponse,
    ListSHCapabilityTestPlansResponse,
)
from ask_smapi_model.v1.smart_home_evaluation.capability_test_plan import CapabilityTestPlan
from ask_smapi_model.v1.smart_home_evaluation.endpoint import Endpoint
from ask_smapi_model.v1.smart_home_evaluation.evaluate_sh_capability_request import (
    EvaluateSHCapabilityRequest,
)
from ask_smapi_model.v1.smart_home_evaluation.stage import Stage

T = TypeVar("T")


def answer(value: object, kind: type[T]) -> T:
    """The model the SDK deserialized an answer into (it types every answer as a Union of the
    call's models and `object`)."""
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value


def present(value: T | None) -> T:
    """A field of an answer that the server must send (the SDK's models make every field optional)."""
    if value is None:
        raise ValueError("a field the answer must carry is missing")
    return value


base, client_id, client_secret, refresh_token, skill_id, plan_id = sys.argv[1:7]
ser, api = DefaultSerializer(), DefaultApiClient()
auth = AuthenticationConfiguration(
    client_id=client_id, client_secret=client_secret, refresh_token=refresh_token
)
config = ApiConfiguration(serializer=ser, api_client=api, api_endpoint=base)
lwa = LwaClient(config, auth, grant_type="refresh_token")
smapi = SkillManagementServiceClient(config, auth, lwa_client=lwa)
out: dict[str, object] = {}
plans = answer(
    smapi.list_smarthome_capability_test_plans_v1(skill_id, max_results=4), ListSHCapabilityTestPlansResponse
)
out["plans"] = [p.name for p in present(plans.test_plans)]
out["total"] = present(plans.pagination_context).total_count
request = EvaluateSHCapabilityRequest(
    capability_test_plan=CapabilityTestPlan(id=plan_id),
    endpoint=Endpoint(endpoint_id="kitchen"),
    stage=Stage.development,
)
started = answer(
    smapi.create_smarthome_capability_evaluation_v1(skill_id, evaluate_sh_capability_payload=request),
    EvaluateSHCapabilityResponse,
)
evaluation_id = present(started.id)
out["id"] = evaluation_id
try:
    smapi.create_smarthome_capability_evaluation_v1(skill_id, evaluate_sh_capability_payload=request)
except ServiceException as exc:
    # (not `answer`: the SDK marks Error.__init__ abstract, so mypy refuses Error as a type[T])
    busy = exc.body
    if not isinstance(busy, Error):
        raise TypeError(f"expected Error, got {busy!r}") from exc
    out["busy"] = {"status": exc.status_code, "message": busy.message}
for _ in range(600):
    run = answer(
        smapi.get_smart_home_capability_evaluation_v1(skill_id, evaluation_id),
        GetSHCapabilityEvaluationResponse,
    )
    if present(run.status).value != "IN_PROGRESS":
        break
    time.sleep(0.05)
out["status"] = present(run.status).value
out["metrics"] = {k: v.passed_test_cases for k, v in present(run.metrics).items()}
out["ended_after_start"] = present(run.end_timestamp) >= present(run.start_timestamp)
results = answer(
    smapi.get_smarthome_capablity_evaluation_results_v1(skill_id, evaluation_id, max_results=3),
    GetSHCapabilityEvaluationResultsResponse,
)
out["results"] = [(r.name, present(r.status).value) for r in present(results.test_case_results)]
out["next"] = bool(present(results.pagination_context).next_token)
listed = answer(
    smapi.list_smarthome_capability_evaluations_v1(
        skill_id, "development", start_timestamp_from=datetime(2024, 1, 1, tzinfo=UTC)
    ),
    ListSHCapabilityEvaluationsResponse,
)
out["listed"] = [(e.id, e.test_plan_id, present(e.status).value) for e in present(listed.evaluations)]
try:
    smapi.get_smart_home_capability_evaluation_v1(skill_id, "no-such-run")
except ServiceException as exc:
    out["missing"] = {
        "status": exc.status_code,
        "violations": len(present(answer(exc.body, BadRequestError).violations)),
    }
print(json.dumps(out))
