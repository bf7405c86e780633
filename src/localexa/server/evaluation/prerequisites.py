"""What must hold before a run's test cases start, each failure with its `SHCapabilityErrorCode`.

Amazon's prerequisites (spec §2, docs "Smart Home Skill Evaluation"): the skill is enabled in
the developer's own account, the account is linked, and the device was discovered. localexa checks:

1. the test plan exists                                              → NO_SUCH_TEST_PLAN
2. the skill has the stage, and the developer's account enabled it at that stage
                                                                    → NO_SUCH_SKILL_STAGE
3. the account is linked, and a fresh Discover answers a valid Discover.Response
                                                                    → DISCOVERY_FAILED
   (the endpoint under test listed more than once in it             → MULTIPLE_MATCHED_ENDPOINTS)
4. the endpoint is among the discovered ones                         → NO_SUCH_ENDPOINT
5. it lists every interface the plan uses, the properties the plan reads back (retrievable), and
   the thermostat modes the plan sets (when it lists `supportedModes`) → CAPABILITY_NOT_SUPPORTED
"""

from __future__ import annotations

from typing import Any

from localexa.server.directives.repository import DirectiveRepository
from localexa.server.directives.runtime import Runtime
from localexa.server.enablement.links import find_enablement
from localexa.server.enablement.models import LINKED
from localexa.server.evaluation.channel import ChannelClosed, Exchange, SkillChannel
from localexa.server.evaluation.plans import TestPlan, plan_by_id
from localexa.server.evaluation.schemas import ErrorCode
from localexa.server.skills.repository import SkillRepository

DISCOVER_RESPONSE = "Alexa.Discovery.Discover.Response"


class RunError(Exception):
    """The run cannot go on: it ends in ERROR with this code and message."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def find_plan(plan_id: str) -> TestPlan:
    plan = plan_by_id(plan_id)
    if plan is None:
        raise RunError(ErrorCode.NO_SUCH_TEST_PLAN, f"There is no capability test plan {plan_id}.")
    return plan


async def check_account(runtime: Runtime, *, user_id: str, skill_id: str, stage: str) -> None:
    """Steps 2 and 3's link check: enabled at `stage` in the developer's account, and linked."""
    async with runtime.transaction() as session:
        skill = await SkillRepository(session).skill(skill_id)
        if skill is None or stage not in skill.stages:
            raise RunError(ErrorCode.NO_SUCH_SKILL_STAGE, f"The skill {skill_id} has no {stage} stage.")
        # Both messages name the one call that enables and links (the developer's PUT
        # …/stages/{stage}/enablement links nothing), as the demo's link is NEEDS_RELINK after
        # `localexa serve` restarts.
        how = (
            f"enable and link it with the developer's own token, as a customer does (POST "
            f"/v1/users/~current/skills/{skill_id}/enablement with an authCode), then start the "
            "evaluation again."
        )
        enablement = await find_enablement(session, customer_id=user_id, skill_id=skill_id)
        if enablement is None or enablement.stage != stage:
            raise RunError(
                ErrorCode.NO_SUCH_SKILL_STAGE,
                f"The skill is not enabled at stage {stage} in the developer's account; {how}",
            )
        if enablement.link_status != LINKED:
            raise RunError(
                ErrorCode.DISCOVERY_FAILED,
                f"The developer's account is not linked to the skill (link status "
                f"{enablement.link_status}), so Alexa cannot discover its devices; {how}",
            )


async def discover(channel: SkillChannel, endpoint_id: str) -> None:
    try:
        exchange = await channel.send("Alexa.Discovery", "Discover")
    except ChannelClosed as exc:
        raise RunError(ErrorCode.DISCOVERY_FAILED, f"Discover could not be sent: {exc.message}") from exc
    if exchange.failure is not None:
        raise RunError(ErrorCode.DISCOVERY_FAILED, f"The skill did not answer Discover: {exchange.failure}")
    matches = _discovered_ids(exchange.response).count(endpoint_id)
    if matches > 1:
        # Checked before the answer's validity, which a repeated endpointId also breaks: the
        # run's own endpoint being ambiguous is the more precise reason.
        raise RunError(
            ErrorCode.MULTIPLE_MATCHED_ENDPOINTS,
            f"The skill reported {matches} endpoints with endpointId {endpoint_id} in Discover.Response.",
        )
    if exchange.answer_name == "Alexa.ErrorResponse":
        raise RunError(ErrorCode.DISCOVERY_FAILED, _error_response(exchange))
    if exchange.answer_name != DISCOVER_RESPONSE or not exchange.verdict.get("valid", False):
        reasons = "; ".join(exchange.problems()) or f"it answered {exchange.answer_name or 'nothing'}"
        raise RunError(ErrorCode.DISCOVERY_FAILED, f"Discover failed: {reasons}")


def _error_response(exchange: Exchange) -> str:
    """Discover answered with an error: its type and message, and for a link the skill no longer
    knows, the way out (since 2026-12-06 it said only "it answered Alexa.ErrorResponse")."""
    event = (exchange.response or {}).get("event")
    payload = event.get("payload") if isinstance(event, dict) else None
    payload = payload if isinstance(payload, dict) else {}
    kind, said = str(payload.get("type") or "no type"), payload.get("message")
    told = f"Discover failed: the skill answered Alexa.ErrorResponse {kind}" + (f": {said}" if said else "")
    if kind == "INVALID_AUTHORIZATION_CREDENTIAL":
        # The demo's My Lights forgets every link at a restart (admin/demo.py `_forget_dead_link`).
        # A message that ends its own sentence ("… device cloud.", as My Lights' does) gets no second stop.
        told += (
            (" " if told.endswith((".", "!", "?")) else ". ")
            + "The skill no longer accepts the developer account's link (a device cloud that keeps "
            "its accounts in memory, such as the demo's My Lights, forgets it when it restarts): "
            "link the account to the skill again, then start the evaluation again"
        )
    return told


def _discovered_ids(response: dict[str, Any] | None) -> list[Any]:
    event = (response or {}).get("event")
    payload = event.get("payload") if isinstance(event, dict) else None
    endpoints = payload.get("endpoints") if isinstance(payload, dict) else None
    if not isinstance(endpoints, list):
        return []
    return [e.get("endpointId") for e in endpoints if isinstance(e, dict)]


def _unsupported(plan: TestPlan, capabilities: list[dict[str, Any]]) -> str | None:
    """Why the endpoint cannot run the plan, or None."""
    by_interface = {c.get("interface"): c for c in capabilities if isinstance(c, dict)}
    missing = sorted(i for i in plan.required_interfaces() if i not in by_interface)
    if missing:
        return f"The endpoint does not support {', '.join(missing)}."
    for interface, names in sorted(plan.required_properties().items()):
        properties = by_interface[interface].get("properties") or {}
        supported = {p.get("name") for p in properties.get("supported", []) if isinstance(p, dict)}
        lacking = sorted(names - supported)
        if lacking:
            return f"{interface} on the endpoint does not list the properties {', '.join(lacking)}."
        if properties.get("retrievable") is False:
            return f"{interface} properties are not retrievable, so ReportState cannot check them."
    thermostat = by_interface.get("Alexa.ThermostatController") or {}
    listed = (thermostat.get("configuration") or {}).get("supportedModes")
    if isinstance(listed, list):
        # The discovery schema lets any value through here: only strings can name a mode.
        lacking = sorted(plan.thermostat_modes() - {mode for mode in listed if isinstance(mode, str)})
        if lacking:
            return f"The thermostat does not support the modes {', '.join(lacking)}."
    return None


async def check_endpoint(
    runtime: Runtime, plan: TestPlan, *, user_id: str, skill_id: str, endpoint_id: str
) -> None:
    async with runtime.transaction() as session:
        endpoint = await DirectiveRepository(session).endpoint(user_id, skill_id, endpoint_id)
        capabilities = list(endpoint.capabilities or []) if endpoint is not None else None
    if capabilities is None:
        raise RunError(
            ErrorCode.NO_SUCH_ENDPOINT,
            f"The skill did not report an endpoint {endpoint_id} when Alexa discovered the "
            "developer's devices.",
        )
    reason = _unsupported(plan, capabilities)
    if reason is not None:
        raise RunError(ErrorCode.CAPABILITY_NOT_SUPPORTED, f"{plan.name}: {reason}")
