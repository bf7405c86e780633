"""OpenAPI `links` of localexa's document: which answer's id or path feeds which call.

schemathesis' state machines (tests/fuzz/test_openapi_stateful.py) follow them to run sequences:
create → get → delete → get again, enable → disable → disable again, put a Thread network → look
it up → put it back, start an evaluation → read its results. `install_openapi` (core/openapi.py)
adds them after the error responses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Paths the links join (named once: several links start or end at each).
_CUSTOMERS = "/_localexa/customers"
_CUSTOMER = "/_localexa/customers/{user_id}"
_CUSTOMER_SKILL = "/_localexa/customers/{userId}/skills/{skillId}"
_SKILLS = "/_localexa/skills"
_FAULTS = "/_localexa/faults"
_JOURNAL = "/_localexa/journal"
_STAGE_ENABLEMENT = "/v1/skills/{skill_id}/stages/{stage}/enablement"
_USER_ENABLEMENT = "/v1/users/~current/skills/{skill_id}/enablement"
_LOCKER = "/credentiallocker/v2/threadNetworks"
_EVALUATIONS = "/v1/skills/{skill_id}/smartHome/testing/capabilityEvaluations"
_EVALUATION = _EVALUATIONS + "/{evaluation_id}"
_SAME_STAGE = {"path.skill_id": "$request.path.skill_id", "path.stage": "$request.path.stage"}
_SAME_SKILL = {"path.skill_id": "$request.path.skill_id"}
_SAME_CUSTOMER_SKILL = {"path.userId": "$request.path.userId", "path.skillId": "$request.path.skillId"}


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: the `status` answer of `method path` feeds `parameters` (`in.name`, or
    `name` alone when the name is unique) and optionally the body of `target_method target`."""

    name: str
    path: str
    method: str
    status: str
    target: str
    target_method: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    body: Any = None

    def as_openapi(self) -> dict[str, Any]:
        # `operationRef` rather than `operationId`: FastAPI derives the ids from function names,
        # which an area may rename; the path and method are the API itself.
        pointer = self.target.replace("~", "~0").replace("/", "~1")
        link: dict[str, Any] = {"operationRef": f"#/paths/{pointer}/{self.target_method}"}
        if self.parameters:
            link["parameters"] = dict(self.parameters)
        if self.body is not None:
            link["requestBody"] = self.body
        return link


LINKS: tuple[Link, ...] = (
    # Admin API: what a create returns names the created thing in its reads and deletes.
    Link(
        "GetCustomer", _CUSTOMERS, "post", "201", _CUSTOMER, "get", {"path.user_id": "$response.body#/userId"}
    ),
    Link(
        "GetListedCustomer",
        _CUSTOMERS,
        "get",
        "200",
        _CUSTOMER,
        "get",
        {"path.user_id": "$response.body#/0/userId"},
    ),
    Link(
        "GetCustomerEndpoints",
        _CUSTOMERS,
        "post",
        "201",
        _CUSTOMER_SKILL + "/endpoints",
        "get",
        {"path.userId": "$response.body#/userId"},
    ),
    Link(
        "CreateOwnedVendor",
        _CUSTOMERS,
        "post",
        "201",
        "/_localexa/vendors",
        "post",
        body={"ownerUserId": "$response.body#/userId"},
    ),
    Link(
        "CreateVendorSkill",
        "/_localexa/vendors",
        "post",
        "201",
        _SKILLS,
        "post",
        body={"vendorId": "$response.body#/vendorId"},
    ),
    Link(
        "GetSkill",
        _SKILLS,
        "post",
        "201",
        _SKILLS + "/{skill_id}",
        "get",
        {"path.skill_id": "$response.body#/skillId"},
    ),
    Link(
        "GetListedSkill",
        _SKILLS,
        "get",
        "200",
        _SKILLS + "/{skill_id}",
        "get",
        {"path.skill_id": "$response.body#/0/skillId"},
    ),
    Link(
        "DeleteFault",
        _FAULTS,
        "post",
        "201",
        _FAULTS + "/{fault_id}",
        "delete",
        {"path.fault_id": "$response.body#/faultId"},
    ),
    Link(
        "DeleteListedFault",
        _FAULTS,
        "get",
        "200",
        _FAULTS + "/{fault_id}",
        "delete",
        {"path.fault_id": "$response.body#/0/faultId"},
    ),
    Link(
        "DeleteFaultAgain",
        _FAULTS + "/{fault_id}",
        "delete",
        "204",
        _FAULTS + "/{fault_id}",
        "delete",
        {"path.fault_id": "$request.path.fault_id"},
    ),
    Link(
        "GetJournalEntry",
        _JOURNAL,
        "get",
        "200",
        _JOURNAL + "/{entry_id}",
        "get",
        {"path.entry_id": "$response.body#/entries/0/id"},
    ),
    Link(
        "SignIn",
        "/_localexa/lwa-clients",
        "post",
        "201",
        "/ap/oa",
        "get",
        {"query.client_id": "$response.body#/clientId"},
    ),
    # A customer's skill: discovery and AcceptGrant leave endpoints and messages behind, and a
    # discovered endpoint takes directives.
    Link(
        "EndpointsAfterDiscovery",
        _CUSTOMER_SKILL + "/discover",
        "post",
        "200",
        _CUSTOMER_SKILL + "/endpoints",
        "get",
        _SAME_CUSTOMER_SKILL,
    ),
    Link(
        "MessagesAfterDiscovery",
        _CUSTOMER_SKILL + "/discover",
        "post",
        "200",
        _CUSTOMER_SKILL + "/messages",
        "get",
        _SAME_CUSTOMER_SKILL,
    ),
    Link(
        "EndpointsAfterGrant",
        _CUSTOMER_SKILL + "/accept-grant",
        "post",
        "200",
        _CUSTOMER_SKILL + "/endpoints",
        "get",
        _SAME_CUSTOMER_SKILL,
    ),
    Link(
        "DirectToEndpoint",
        _CUSTOMER_SKILL + "/endpoints",
        "get",
        "200",
        "/_localexa/directives",
        "post",
        body={
            "userId": "$request.path.userId",
            "skillId": "$request.path.skillId",
            "endpointId": "$response.body#/endpoints/0/endpointId",
        },
    ),
    # SMAPI enablement of a stage: enable, read, disable, disable again, enable again.
    Link("GetStageEnablement", _STAGE_ENABLEMENT, "put", "204", _STAGE_ENABLEMENT, "get", _SAME_STAGE),
    Link("DisableStage", _STAGE_ENABLEMENT, "put", "204", _STAGE_ENABLEMENT, "delete", _SAME_STAGE),
    Link("DisableReadStage", _STAGE_ENABLEMENT, "get", "204", _STAGE_ENABLEMENT, "delete", _SAME_STAGE),
    Link("GetDisabledStage", _STAGE_ENABLEMENT, "delete", "204", _STAGE_ENABLEMENT, "get", _SAME_STAGE),
    Link("DisableStageAgain", _STAGE_ENABLEMENT, "delete", "204", _STAGE_ENABLEMENT, "delete", _SAME_STAGE),
    Link("EnableStageAgain", _STAGE_ENABLEMENT, "delete", "204", _STAGE_ENABLEMENT, "put", _SAME_STAGE),
    # A skill a customer enabled is a skill its developer can enable a stage of (the same skill id).
    Link(
        "EnableStageOfEnabledSkill",
        _USER_ENABLEMENT,
        "post",
        "201",
        _STAGE_ENABLEMENT,
        "put",
        {"path.skill_id": "$response.body#/skill/id", "path.stage": "$response.body#/skill/stage"},
    ),
    # The customer who enabled a skill is one Alexa discovers the skill's devices for.
    Link(
        "DiscoverEnabledSkill",
        _USER_ENABLEMENT,
        "post",
        "201",
        _CUSTOMER_SKILL + "/discover",
        "post",
        {"path.userId": "$response.body#/user/id", "path.skillId": "$response.body#/skill/id"},
    ),
    Link(
        "GrantEnabledSkill",
        _USER_ENABLEMENT,
        "post",
        "201",
        _CUSTOMER_SKILL + "/accept-grant",
        "post",
        {"path.userId": "$response.body#/user/id", "path.skillId": "$response.body#/skill/id"},
    ),
    Link(
        "DiscoverReadEnablement",
        _USER_ENABLEMENT,
        "get",
        "200",
        _CUSTOMER_SKILL + "/discover",
        "post",
        {"path.userId": "$response.body#/user/id", "path.skillId": "$response.body#/skill/id"},
    ),
    # A 409 says the enablement exists already: its path still names it.
    Link(
        "EnableStageOfLinkedSkill",
        _USER_ENABLEMENT,
        "post",
        "409",
        _STAGE_ENABLEMENT,
        "put",
        {"path.skill_id": "$request.path.skill_id", "path.stage": "$request.body#/stage"},
    ),
    Link("DisableExisting", _USER_ENABLEMENT, "post", "409", _USER_ENABLEMENT, "delete", _SAME_SKILL),
    # The customer's enablement (enable and link): the same cycle.
    Link("GetEnablement", _USER_ENABLEMENT, "post", "201", _USER_ENABLEMENT, "get", _SAME_SKILL),
    Link("Disable", _USER_ENABLEMENT, "post", "201", _USER_ENABLEMENT, "delete", _SAME_SKILL),
    Link("DisableRead", _USER_ENABLEMENT, "get", "200", _USER_ENABLEMENT, "delete", _SAME_SKILL),
    Link("GetDisabled", _USER_ENABLEMENT, "delete", "200", _USER_ENABLEMENT, "get", _SAME_SKILL),
    Link("DisableAgain", _USER_ENABLEMENT, "delete", "200", _USER_ENABLEMENT, "delete", _SAME_SKILL),
    Link("EnableAgain", _USER_ENABLEMENT, "delete", "200", _USER_ENABLEMENT, "post", _SAME_SKILL),
    # The Credential Locker: a stored network is found by its Extended PAN ID; what GET answers
    # is a network PUT takes back.
    Link(
        "GetStoredNetwork",
        _LOCKER,
        "put",
        "200",
        _LOCKER,
        "get",
        {"query.extendedPanId": "$request.body#/threadNetwork/extendedPanId"},
    ),
    Link("PutNetworkAgain", _LOCKER, "put", "200", _LOCKER, "put", body="$request.body"),
    Link(
        "PutListedNetwork",
        _LOCKER,
        "get",
        "200",
        _LOCKER,
        "put",
        body={"threadNetwork": "$response.body#/threadNetworks/0"},
    ),
    # Smart Home Skill Evaluation: a started evaluation is read, its results listed.
    Link(
        "GetEvaluation",
        _EVALUATIONS,
        "post",
        "200",
        _EVALUATION,
        "get",
        {**_SAME_SKILL, "path.evaluation_id": "$response.body#/id"},
    ),
    Link(
        "GetEvaluationResults",
        _EVALUATIONS,
        "post",
        "200",
        _EVALUATION + "/results",
        "get",
        {**_SAME_SKILL, "path.evaluation_id": "$response.body#/id"},
    ),
    Link(
        "GetListedEvaluation",
        _EVALUATIONS,
        "get",
        "200",
        _EVALUATION,
        "get",
        {**_SAME_SKILL, "path.evaluation_id": "$response.body#/evaluations/0/id"},
    ),
    Link(
        "GetReadEvaluationResults",
        _EVALUATION,
        "get",
        "200",
        _EVALUATION + "/results",
        "get",
        {**_SAME_SKILL, "path.evaluation_id": "$request.path.evaluation_id"},
    ),
    Link(
        "EvaluateTestPlan",
        "/v1/skills/{skill_id}/smartHome/testing/capabilityTestPlans",
        "get",
        "200",
        _EVALUATIONS,
        "post",
        _SAME_SKILL,
        body={"capabilityTestPlan": {"id": "$response.body#/testPlans/0/id"}},
    ),
)


def add_links(doc: dict[str, Any], links: Iterable[Link] = LINKS) -> dict[str, Any]:
    """Add `links` to the responses of `doc` (in place; returned). A link whose source or target
    operation the app does not serve is left out, so an app built from some routers only still
    gets a valid document (tests/fuzz/test_openapi_document.py checks the full app has them all)."""
    paths: dict[str, dict[str, Any]] = doc.get("paths", {})
    for link in links:
        source = paths.get(link.path, {}).get(link.method)
        if source is None or link.target_method not in paths.get(link.target, {}):
            continue
        response = source.get("responses", {}).get(link.status)
        if response is None:
            continue
        response.setdefault("links", {})[link.name] = link.as_openapi()
    return doc
