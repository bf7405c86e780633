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

from ask_sdk_model_runtime import (
    ApiConfiguration,
    AuthenticationConfiguration,
    DefaultApiClient,
    DefaultSerializer,
)
from ask_sdk_model_runtime.exceptions import ServiceException
from ask_sdk_model_runtime.lwa import LwaClient
from ask_smapi_model.services.skill_management import SkillManagementServiceClient
from ask_smapi_model.v1.smart_home_evaluation.capability_test_plan import CapabilityTestPlan
from ask_smapi_model.v1.smart_home_evaluation.endpoint import Endpoint
from ask_smapi_model.v1.smart_home_evaluation.evaluate_sh_capability_request import (
    EvaluateSHCapabilityRequest,
)
from ask_smapi_model.v1.smart_home_evaluation.stage import Stage

base, client_id, client_secret, refresh_token, skill_id, plan_id = sys.argv[1:7]
ser, api = DefaultSerializer(), DefaultApiClient()
auth = AuthenticationConfiguration(
    client_id=client_id, client_secret=client_secret, refresh_token=refresh_token
)
config = ApiConfiguration(serializer=ser, api_client=api, api_endpoint=base)
lwa = LwaClient(config, auth, grant_type="refresh_token")
smapi = SkillManagementServiceClient(config, auth, lwa_client=lwa)
out = {}
plans = smapi.list_smarthome_capability_test_plans_v1(skill_id, max_results=4)
out["plans"] = [p.name for p in plans.test_plans]
out["total"] = plans.pagination_context.total_count
request = EvaluateSHCapabilityRequest(
    capability_test_plan=CapabilityTestPlan(id=plan_id),
    endpoint=Endpoint(endpoint_id="kitchen"),
    stage=Stage.development,
)
started = smapi.create_smarthome_capability_evaluation_v1(skill_id, evaluate_sh_capability_payload=request)
out["id"] = started.id
try:
    smapi.create_smarthome_capability_evaluation_v1(skill_id, evaluate_sh_capability_payload=request)
except ServiceException as exc:
    out["busy"] = {"status": exc.status_code, "message": exc.body.message}
for _ in range(600):
    run = smapi.get_smart_home_capability_evaluation_v1(skill_id, started.id)
    if run.status.value != "IN_PROGRESS":
        break
    time.sleep(0.05)
out["status"] = run.status.value
out["metrics"] = {k: v.passed_test_cases for k, v in run.metrics.items()}
out["ended_after_start"] = run.end_timestamp >= run.start_timestamp
results = smapi.get_smarthome_capablity_evaluation_results_v1(skill_id, started.id, max_results=3)
out["results"] = [(r.name, r.status.value) for r in results.test_case_results]
out["next"] = bool(results.pagination_context.next_token)
listed = smapi.list_smarthome_capability_evaluations_v1(
    skill_id, "development", start_timestamp_from=datetime(2024, 1, 1, tzinfo=UTC)
)
out["listed"] = [(e.id, e.test_plan_id, e.status.value) for e in listed.evaluations]
try:
    smapi.get_smart_home_capability_evaluation_v1(skill_id, "no-such-run")
except ServiceException as exc:
    out["missing"] = {"status": exc.status_code, "violations": len(exc.body.violations)}
print(json.dumps(out))
