"""Restore's checks of whole rows, per table (`ROW_CHECKS`), and across tables
(`check_alexa_clients`): what the API holds a row to when it writes one, which a column's type
alone does not say (observe/snapshot_rows.py decodes and checks each value against its column).
A restore must refuse what the admin API could never have written: each check names the problem,
never the value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from localexa.server.core.clock import offset_problem
from localexa.server.core.errors import BadRequest
from localexa.server.credential_locker.models import stored_row_problem as thread_network_problem
from localexa.server.evaluation.schemas import STAGES as EVALUATION_STAGES
from localexa.server.evaluation.schemas import EndpointRef, TestPlanRef
from localexa.server.observe.schemas import FaultFields
from localexa.server.skills.permissions import stored_permission_problem
from localexa.server.skills.schemas import STAGES, AccountLinkingSpec, check_endpoint


def _clock_row(row: dict[str, Any]) -> str | None:
    if row.get("id") != 1:  # the clock is one row, id 1: another restored and was never read
        return "id must be 1 (the clock is one row)"
    return offset_problem(row.get("offset_seconds", 0.0))


def _fault_row(row: dict[str, Any]) -> str | None:
    """The limits `POST /_localexa/faults` holds a fault to (a status of 200 or 1000 broke calls)."""
    try:
        # FaultFields, not FaultIn: a row keeps its nulls (FaultIn's null-as-absent let a null
        # delay_ms through to the insert, refused there as "does not fit").
        FaultFields.model_validate({k: v for k, v in row.items() if k in FaultFields.model_fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc']) or 'row'}: {first['msg']}"
    if row.get("region") not in (None, "NA", "EU", "FE"):  # stored upper case (FaultFields takes any)
        return "region must be NA, EU or FE"
    for counter in ("remaining", "matched", "fired"):
        value = row.get(counter)
        if value is not None and (not isinstance(value, int) or value < 0):
            return f"{counter} must be a whole number of 0 or more"
    return None


def _customer_row(row: dict[str, Any]) -> str | None:
    """A region the admin API takes: `ZZ` restored, and every call of that customer that needed
    the region (the API endpoint, enablement) was a 500."""
    if row.get("region") not in ("NA", "EU", "FE"):
        return "region must be NA, EU or FE"
    return None


def _usable_endpoint(endpoint: str) -> bool:
    try:
        check_endpoint(endpoint)
    except ValueError:
        return False
    return len(endpoint) <= 2048


def _skill_row(row: dict[str, Any]) -> str | None:
    """The endpoints and the account linking as the admin API takes them (a list or a bad URL
    restored, and every directive of that skill was a 500; until 2026-12-06 the endpoint and the
    account linking were not checked: an expiry of 10**12 s overflowed the date at every
    enable-and-link, a token URL of another scheme was called)."""
    endpoint = row.get("endpoint")
    if not isinstance(endpoint, str) or not _usable_endpoint(endpoint):
        return "endpoint must be an http(s):// URL or python:package.module:function"
    # The permission names are restored as stored (the column's decoding already made them a list
    # of strings): the admin API holds a new skill to the names Amazon's manifest knows since
    # 2026-12-06, but a skill stored before then may hold another, and a snapshot the server takes
    # of it, or an older localexa's snapshot, must restore (for an hour on 2026-12-06 restore
    # refused them with a 400, even the server's own snapshot; rev1 QA F6).
    # Their shape still holds: what no localexa could have stored is refused (rev3 QA).
    # A JSON null restored and every read of the skill was a 500 (rev4 QA): a list, or left out.
    if "permissions" in row and not isinstance(row["permissions"], list):
        return "permissions must be a list of permission names"
    for permission in row.get("permissions") or []:
        problem = stored_permission_problem(permission)
        if problem is not None:
            return f"permissions: {problem}"
    problem = _list_problem(row)
    if problem is not None:
        return problem
    linking = row.get("account_linking")
    if linking is not None:
        problem = _account_linking_problem(linking)
        if problem is not None:
            return problem
    regional = row.get("regional_endpoints")
    if regional is None:
        return None
    if not isinstance(regional, dict):
        return "regional_endpoints must be an object of region to endpoint"
    for region, endpoint in regional.items():
        if region not in ("NA", "EU", "FE"):
            return "regional_endpoints: regions must be NA, EU or FE"
        if not isinstance(endpoint, str) or not _usable_endpoint(endpoint):
            return f"regional_endpoints.{region} must be an http(s):// URL or python:package.module:function"
    return None


def _repeated(values: list[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def _list_problem(row: dict[str, Any]) -> str | None:
    """The skill's lists as the admin API stores them: it refuses a stage given twice ("stages must
    not repeat") and keeps one of a permission given twice (SkillSpec), so no localexa stored a
    duplicate; restored, `alexa::async_event:write` twice showed twice in every read of the skill.
    A restore that holds one is refused naming it and the skill, rather than changed silently.
    (The account linking's `scopes`, `redirectUrls` and `domains` are stored as given, repeats
    included, by the admin API and SMAPI alike, so restore takes them so too.)"""
    skill = str(row.get("id"))[:200]
    stages = row.get("stages")
    if isinstance(stages, list):
        if not stages or any(stage not in STAGES for stage in stages):
            return f"stages must be one or more of development, live (skill {skill})"
        twice = _repeated(stages)
        if twice is not None:
            return f"stages: {twice!r} is given twice (skill {skill})"
    twice = _repeated(row.get("permissions") or [])
    if twice is not None:
        shown = twice if len(twice) <= 120 else twice[:120] + "…"
        return f"permissions: {shown!r} is given twice (skill {skill})"
    return None


#: The keys of the stored account linking (`AccountLinkingSpec.public()`): camelCase, no secret.
_STORED_LINKING_KEYS = frozenset(
    info.alias or name for name, info in AccountLinkingSpec.model_fields.items() if name != "client_secret"
)


def _account_linking_problem(linking: Any) -> str | None:
    """The stored form, as SMAPI's PUT and the admin API write it. The model alone was not enough
    (re-verification of 2026-12-06): it reads `authorization_url` and `null`s too, while the
    server reads the stored keys as written (`snake_case` keys or `"type": null` restored, and
    every enable-and-link said the skill does not link with codes), and a `clientSecret` there was
    shown by both GETs."""
    if isinstance(linking, dict):
        for key, value in linking.items():
            if key not in _STORED_LINKING_KEYS:
                return f"account_linking.{key}: not a field of a stored account linking"
            if value is None:
                return f"account_linking.{key}: must not be null (left out when not set)"
    try:
        AccountLinkingSpec.model_validate(linking)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"account_linking{'.' + where if where else ''}: {first['msg']}"
    return None


def _case_result_row(row: dict[str, Any]) -> str | None:
    """A case's `error` as the results answer shows it (`{"code", "message"}`: `{"x": 1}` restored,
    and every read of the run's results was a 500)."""
    error = row.get("error")
    if error is None:
        return None
    if set(error) != {"code", "message"} or not all(isinstance(v, str) for v in error.values()):
        return 'error must be {"code": "…", "message": "…"}'
    return None


def _evaluation_row(row: dict[str, Any]) -> str | None:
    """The stage, endpoint id and test plan id as the evaluation API takes them (its models, so
    the same limits): a stage of `"beta"`, an endpoint id its pattern refuses or an empty test plan
    id restored, and the run's GET and its results were a 500 (evaluation/service.py `_input`;
    until 2026-12-07, fuzz37 F2)."""
    if row.get("stage") not in EVALUATION_STAGES:
        return f"stage must be {' or '.join(EVALUATION_STAGES)}"
    for column, model, field in (
        ("endpoint_id", EndpointRef, "endpoint_id"),
        ("test_plan_id", TestPlanRef, "id"),
    ):
        try:
            model.model_validate({field: row.get(column)})
        except ValidationError as exc:
            return f"{column}: {exc.errors()[0]['msg']}"
    return None


#: Rows restore checks the way the admin API checks what makes them (a clock far past the year
#: 9999 made every later call a 500, health and reset included, until the database was deleted).
ROW_CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "capability_evaluations": _evaluation_row,
    "capability_test_case_results": _case_result_row,
    "clock_state": _clock_row,
    "customers": _customer_row,
    "faults": _fault_row,
    "skills": _skill_row,
    "thread_networks": thread_network_problem,
}


def check_alexa_clients(rows: dict[str, list[dict[str, Any]]]) -> None:
    """A skill's `alexa_client_id` must name an Alexa client of the snapshot (an LWA client with
    a sealed secret and no skill: lwa/registry.py `is_alexa_client`). The column has no foreign
    key (migration 0006), so a hand-edited snapshot pointing it elsewhere restored: the skill's
    own Alexa client, no longer named, then linked every skill, and one pointing at a messaging
    client showed that client's secret as the Alexa client's."""
    clients = {row.get("client_id"): row for row in rows.get("lwa_clients", [])}
    for index, skill in enumerate(rows.get("skills", [])):
        client_id = skill.get("alexa_client_id")
        if client_id is None:
            continue
        client = clients.get(client_id)
        if client is None or client.get("skill_id") is not None or client.get("secret_sealed") is None:
            raise BadRequest(
                f"tables.skills[{index}].alexa_client_id: names no Alexa client of the snapshot's "
                "lwa_clients (one with a sealed secret and no skill_id)."
            )
