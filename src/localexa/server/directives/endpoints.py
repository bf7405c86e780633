"""The customer's endpoints as Alexa knows them: what discovery found, and their last known state.

- `Discover.Response` replaces the list (endpoints that vanished are forgotten; the state of those
  that remain is kept).
- `AddOrUpdateReport` adds or replaces the endpoints it names; `DeleteReport` removes them
  (docs: proactively manage endpoints).
- Properties reported in an answer's `context`, a `StateReport` or a `ChangeReport` update the
  endpoint's known state; a report older than what is known (`timeOfSample`) does not overwrite,
  and neither does a sample without a `timeOfSample` (or one that is no timestamp) overwrite a
  known sample that has one: it cannot be shown to be newer.
  A sample further ahead of localexa's clock than the skill kit's `MAX_SAMPLE_AHEAD` is never
  kept (the gateway refuses it, a synchronous answer's verdict calls it invalid): it would outrank
  every later report for good. One kept before that rule no longer outranks anything.

Events arrive concurrently (a skill reporting several changes at once), so each change takes the
customer's enablement row lock first (`_one_at_a_time`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from localexa.server.directives.models import DiscoveredEndpoint
from localexa.server.directives.repository import DirectiveRepository
from localexa.server.enablement.repository import EnablementRepository
from localexa.skill.validation import MAX_SAMPLE_AHEAD


def property_key(prop: Mapping[str, Any]) -> str:
    """`Alexa.PowerController.powerState`, or with an instance `Alexa.ModeController:Wash.Cycle.mode`."""
    namespace, name, instance = prop.get("namespace"), prop.get("name"), prop.get("instance")
    return f"{namespace}:{instance}.{name}" if instance else f"{namespace}.{name}"


def _sample_time(prop: Mapping[str, Any]) -> datetime | None:
    value = prop.get("timeOfSample")
    if not isinstance(value, str):
        return None
    try:
        sampled = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Aware, so a sample without an offset compares with one that has it (a TypeError otherwise).
    return sampled if sampled.tzinfo is not None else sampled.replace(tzinfo=UTC)


def merge_properties(
    state: Mapping[str, Any], properties: Iterable[Any], now: datetime | None = None
) -> dict[str, Any]:
    """A new state with `properties` applied, unless a known sample is newer (a sample without a
    readable `timeOfSample` never replaces one that has it).

    With `now` (localexa's clock), a sample more than MAX_SAMPLE_AHEAD ahead of it is skipped, and
    a known one that far ahead (stored before the rule) is overwritten rather than outranking."""
    merged = dict(state)
    for prop in properties:
        if not isinstance(prop, Mapping) or "namespace" not in prop or "name" not in prop:
            continue
        key = property_key(prop)
        known = merged.get(key)
        new_time, old_time = _sample_time(prop), _sample_time(known) if isinstance(known, Mapping) else None
        if now is not None and new_time is not None and _too_far_ahead(new_time, now):
            continue
        if now is not None and old_time is not None and _too_far_ahead(old_time, now):
            old_time = None
        if old_time is not None and (new_time is None or new_time < old_time):
            continue
        merged[key] = dict(prop)
    return merged


def _too_far_ahead(sampled: datetime, now: datetime) -> bool:
    # Aware, as `_sample_time` makes the sample: a naive clock reading would raise a TypeError.
    return sampled - (now if now.tzinfo is not None else now.replace(tzinfo=UTC)) > MAX_SAMPLE_AHEAD


def _fill(row: DiscoveredEndpoint, endpoint: Mapping[str, Any]) -> None:
    row.friendly_name = str(endpoint.get("friendlyName", ""))[:200]
    row.description = endpoint.get("description")
    row.manufacturer_name = endpoint.get("manufacturerName")
    row.display_categories = list(endpoint.get("displayCategories") or [])
    row.capabilities = list(endpoint.get("capabilities") or [])
    row.cookie = dict(endpoint.get("cookie") or {})


async def _one_at_a_time(repo: DirectiveRepository, customer_id: str, skill_id: str) -> None:
    """Hold the enablement row's lock until the caller commits (PostgreSQL; SQLite serialises
    writers already). Without it, two events adding the same new endpoint both insert it (a unique
    violation, the second event lost), and two ChangeReports of one endpoint each write back the
    state they read before the other's change (one property lost).

    Nothing on SQLite: it has no row locks (FOR UPDATE is not sent), so this was a read of a row
    the caller had just read, whose answer nobody used; its writers take turns anyway."""
    if repo.session.get_bind().dialect.name != "postgresql":
        return
    await EnablementRepository(repo.session).find(customer_id, skill_id, for_update=True)


async def upsert_endpoints(
    repo: DirectiveRepository,
    customer_id: str,
    skill_id: str,
    endpoints: Iterable[Mapping[str, Any]],
    now: datetime,
    *,
    replace_all: bool,
) -> int:
    """Store discovered endpoints; with `replace_all`, forget those not listed. Returns the count."""
    await _one_at_a_time(repo, customer_id, skill_id)
    known = {row.endpoint_id: row for row in await repo.endpoints(customer_id, skill_id)}
    listed: set[str] = set()
    for endpoint in endpoints:
        endpoint_id = str(endpoint["endpointId"])
        listed.add(endpoint_id)
        row = known.get(endpoint_id)
        if row is None:
            row = DiscoveredEndpoint(
                customer_id=customer_id, skill_id=skill_id, endpoint_id=endpoint_id, state={}
            )
            repo.add_endpoint(row)
            known[endpoint_id] = row
        _fill(row, endpoint)
        row.discovered_at = now
    if replace_all:
        gone = [endpoint_id for endpoint_id in known if endpoint_id not in listed]
        if gone:
            await repo.delete_endpoints(customer_id, skill_id, gone)
    await repo.flush()
    return len(listed)


async def apply_properties(
    repo: DirectiveRepository,
    customer_id: str,
    skill_id: str,
    endpoint_id: str,
    properties: Iterable[Any],
    now: datetime,
) -> bool:
    """Update the known state of one endpoint; False when the endpoint was never discovered."""
    await _one_at_a_time(repo, customer_id, skill_id)
    row = await repo.endpoint(customer_id, skill_id, endpoint_id)
    props = list(properties)
    if row is None or not props:
        return False
    row.state = merge_properties(row.state or {}, props, now)
    row.state_updated_at = now
    await repo.flush()
    return True
