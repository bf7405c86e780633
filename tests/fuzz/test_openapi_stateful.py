"""Stateful (sequence) fuzzing of localexa through its OpenAPI `links` (core/openapi.py LINKS).

test_openapi_fuzz.py calls each operation alone; a 5xx that only follows a sequence (enable,
disable, disable again; put a Thread network, list it, put what the list answered; start an
evaluation, read its results; create a fault, delete it twice) stays out of its reach. Here
schemathesis builds a hypothesis state machine from the document's links
(`schema.as_state_machine()`): each scenario starts at a random call and follows links, feeding
the ids and paths one answer names into the next call. Only the document's own links are
followed (schemathesis' dependency inference is switched off: it guessed links such as an
evaluation's id as a skill id), so every chained step is one the document promises.

The server is a real `localexa serve` seeded as in test_openapi_fuzz.py (SQLite, and PostgreSQL
with Redis when the tests have them), the same credentials go with each API. Every response must
not be a 5xx and must conform to the document (status, content type, headers, body), and a
resource must still answer after its create and be gone after its delete (schemathesis'
stateful checks). The test also counts the linked steps that ran: a run that never chained two
calls would pass while testing nothing.

Bounded for CI: a fixed number of scenarios of at most STEPS calls, from a fixed seed. To explore
by hand, set LOCALEXA_STATEFUL_SEED (another seed) and LOCALEXA_STATEFUL_EXAMPLES (scenarios of
the main machines; 25 in CI).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.errors
import pytest

from tests.fuzz.test_openapi_fuzz import ASYNC_EVENTS, _skill_side
from tests.scale.processes import (
    ServerProcess,
)
from tests.scale.world import (
    ACCOUNT_LINKING,
    READWRITE,
    THREAD_PERMISSION,
    app_token,
    bearer,
    customer,
    skill,
    token,
)
from tests.servers import serve_in_thread

pytestmark = pytest.mark.slow

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is in the dev extra: pip install -e '.[dev]'"
)

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.core.failures import Failure, FailureGroup  # noqa: E402
from schemathesis.core.transport import Response  # noqa: E402
from schemathesis.generation.case import Case  # noqa: E402
from schemathesis.generation.stateful.state_machine import (  # noqa: E402
    APIStateMachine,
    StepInput,
    StepOutput,
)
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    ensure_resource_availability,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from tests.fuzz.schemathesis_hooks import document_rules  # noqa: E402

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ensure_resource_availability,
    use_after_free,
]
#: Scenarios of the main machines (see MACHINES): about 10 s per storage on a 2-core machine.
EXAMPLES = int(os.environ.get("LOCALEXA_STATEFUL_EXAMPLES", "25"))
SEED = os.environ.get("LOCALEXA_STATEFUL_SEED")
#: Steps per scenario: enough for create → get → delete → get again → create again.
STEPS = 8
#: The control plane is fuzzed apart: moving the clock expires the run's tokens, reset and
#: restore wipe the state, and a fault makes later calls answer 5xx on purpose. Faults get their
#: own machine, over the fault routes only (calls to them are exempt from faults).
CONTROL_PLANE = r"^/_localexa/(clock|faults.*|reset|restore|snapshot)$"
FAULTS = r"^/_localexa/faults.*$"


def test_linked_sequences_hold(tmp_path: Path, storage: tuple[str | None, dict[str, str]]) -> None:
    admin_key = "fuzz-admin-key"
    database_url, env = storage
    server = ServerProcess(
        tmp_path / "data",
        admin_key,
        {"LOCALEXA_PASSWORD_HASH_N": "1024", "LOCALEXA_RATE_LIMIT": "1000000/minute", **env},
        database_url=database_url,
    )
    with serve_in_thread(_skill_side()) as skill_side:
        try:
            server.start()
            world = _seed(server, admin_key, skill_side)
            outcomes = {machine.name: _run(world, machine) for machine in MACHINES}
        finally:
            server.stop()
        log = server.log()
    failures = [failure for outcome in outcomes.values() for failure in outcome.failures]
    assert not failures, "\n\n".join(failures[:10]) + f"\n--- server log ---\n{log[-8000:]}"
    # Sequences really ran: every machine ran its scenarios and followed links in them, among
    # them at least one of the links its area is there for (not only the list-then-read ones).
    for machine in MACHINES:
        outcome = outcomes[machine.name]
        print(f"{machine.name}: {outcome.scenarios} scenarios, linked steps {dict(outcome.linked)}")  # -rP
        assert outcome.scenarios >= machine.examples, (machine.name, outcome)
        assert sum(outcome.linked.values()) >= machine.examples // 4, (machine.name, outcome.linked)
        assert outcome.linked.keys() & machine.expected, (machine.name, outcome.linked)


@dataclass(frozen=True)
class Machine:
    """One state machine: the operations it may call (a regex over paths, `include` or everything
    but the control plane), its scenarios, and the links (core/openapi.py LINKS names) one of
    which a run must follow. A machine per area chains deeper than one over the whole API: with
    fewer entry points to pick, more of a scenario's steps follow links."""

    name: str
    include: str | None
    examples: int
    expected: frozenset[str]


MACHINES = (
    Machine(
        "everything",
        None,
        EXAMPLES,
        frozenset({"GetCustomer", "GetListedCustomer", "DirectToEndpoint", "GetEvaluationResults"}),
    ),
    Machine(
        "enablement",
        r"/enablement$",
        EXAMPLES,
        frozenset({"GetStageEnablement", "DisableStage", "GetEnablement", "Disable", "DisableExisting"}),
    ),
    Machine(
        "locker",
        r"^/credentiallocker/",
        EXAMPLES // 2,
        frozenset({"PutListedNetwork", "GetStoredNetwork", "PutNetworkAgain"}),
    ),
    # Calls to the fault routes are exempt from faults, so their machine cannot break itself.
    Machine("faults", FAULTS, EXAMPLES // 5, frozenset({"DeleteFault", "DeleteListedFault"})),
)


class World:
    """The seeded server: its URL, the skill and customer the paths name, each API's headers."""

    def __init__(
        self,
        server: ServerProcess,
        skill_id: str,
        linked: str,
        headers: dict[str, str],
        messaging: dict[str, str],
    ) -> None:
        self.server = server
        self.skill_id = skill_id
        self.linked = linked
        self.headers = headers
        self.messaging = messaging


def _seed(server: ServerProcess, admin_key: str, skill_side: str) -> World:
    """A developer's skill with Thread and event permissions, account linking on the skill side
    and both stages, and a customer who enabled and linked it (as test_openapi_fuzz.py seeds)."""
    linking = {
        "type": "AUTH_CODE",
        "authorizationUrl": f"{skill_side}/authorize",
        "accessTokenUrl": f"{skill_side}/token",
        "clientId": "alexa-skill",
        "clientSecret": "s3cret",
        "accessTokenScheme": "HTTP_BASIC",
        "scopes": ["lights"],
    }
    owner = skill(
        server,
        permissions=[THREAD_PERMISSION, ASYNC_EVENTS],
        account_linking=linking,
        stages=["development", "live"],
        endpoint=f"{skill_side}/skill",
    )
    access = app_token(
        server, owner.developer, [READWRITE, "alexa::ask:skills:read", ACCOUNT_LINKING, "profile"]
    )
    linked = customer(server, "Linked")
    link = {"redirectUri": "https://app.example.com/alexa", "authCode": "any", "type": "AUTH_CODE"}
    with server.client() as http:
        enabled = http.post(
            f"/v1/users/~current/skills/{owner.skill_id}/enablement",
            json={"stage": "development", "accountLinkRequest": link},
            headers=bearer(app_token(server, linked, [ACCOUNT_LINKING])),
        )
    assert enabled.status_code == 201, enabled.text
    messaging = token(server, owner.messaging_client_id, linked, [ASYNC_EVENTS])
    admin = {"X-Localexa-Admin-Key": admin_key}
    # A stored network: PUT is no entry point of a scenario (schemathesis starts at creating POSTs
    # and at GETs of collections), so the chain into it starts at a list that has one.
    network = {
        "extendedPanId": "dead00beef00cafe",
        "networkName": "Home",
        "networkKey": "00112233445566778899aabbccddeeff",
    }
    with server.client() as http:
        stored = http.put(
            "/credentiallocker/v2/threadNetworks", json={"threadNetwork": network}, headers=bearer(messaging)
        )
    assert stored.status_code == 200, stored.text
    return World(server, owner.skill_id, linked, {**bearer(access), **admin}, {**bearer(messaging), **admin})


@dataclass
class Outcome:
    """What one state machine's rounds did: scenarios run, linked steps by link, check failures."""

    scenarios: int = 0
    linked: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _run(world: World, machine: Machine) -> Outcome:
    """Run the scenarios of `machine`.

    A check failure is recorded, not raised: raised, hypothesis would replay the scenario against a
    server whose state moved on, and answer with a "flaky" error in place of the failure. For the
    same reason a round can end early in `Flaky` (the same draws met other answers: a stored
    network is there now); the next round goes on with the next seed until enough scenarios ran.
    """
    config = SchemathesisConfig.from_dict(
        {
            # The document's links only (see the module's docstring).
            "phases": {
                "stateful": {
                    "inference": {"algorithms": []},
                    "max-steps": STEPS,
                    # Valid requests only: a sequence is about state; invalid input is the
                    # single-operation fuzz test's (test_openapi_fuzz.py), and a 401 ends a chain.
                    "generation": {"mode": "positive"},
                }
            },
            "request-timeout": 15,
        }
    )
    # Path parameters name the seeded skill and the customer who linked it (their skill stays
    # enabled), so a scenario reaches past the 404s of random ids into the APIs' own rules.
    pinned = {
        "skill_id": world.skill_id,
        "skillId": world.skill_id,
        "user_id": world.linked,
        "userId": world.linked,
    }
    schema = schemathesis.openapi.from_url(f"{world.server.base_url}/_localexa/openapi.json", config=config)
    schema = (
        schema.exclude(path_regex=CONTROL_PLANE)
        if machine.include is None
        else schema.include(path_regex=machine.include)
    )
    base: type[APIStateMachine] = schema.as_state_machine()
    outcome = Outcome()

    class Scenario(base):  # type: ignore[valid-type, misc]
        def setup(self) -> None:
            outcome.scenarios += 1
            super().setup()

        def step(self, input: StepInput) -> StepOutput:
            # The configuration's `parameters` pin values in schemathesis' own runners only, not
            # in `as_state_machine()`'s steps: pinned here, where no link gave the value.
            given = {name for location, name in input.applied_parameters if location.value == "path"}
            path = input.case.path_parameters
            if path is not None:
                for name in path.keys() & pinned.keys() - given:
                    path[name] = pinned[name]
            label = input.case.operation.label
            # The rules the document states in words only (whole-float integers, a Thread
            # network name's bytes): schemathesis_hooks.py, as in the single-call fuzz test.
            body = input.case.body = document_rules(label, input.case.body)
            if label == "POST /_localexa/faults" and isinstance(body, dict):
                # A generated fault may match any call and fail it, and the scenario's later
                # steps would meet its status rather than the API. This one names a path no call
                # takes: it never fires, and is still deleted through the document's links.
                body.update(method="GET", path="/_localexa/stateful/unmatched")
                # A generated customer or skill is nobody's (each a 400 since 2026-12-06): the
                # fault would not be made, and its delete links would not run.
                body.pop("customer", None)
                body.pop("skill", None)
            output: StepOutput = super().step(input)
            if input.transition is not None and input.is_applied:
                outcome.linked[input.transition.id.rsplit("] ", 1)[-1].split(" -> ", 1)[0]] += 1
            return output

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            # The Credential Locker and the event gateway take the skill messaging client's token.
            locker = case.operation.path.startswith(("/credentiallocker/", "/v3/events"))
            return {"headers": dict(world.messaging if locker else world.headers)}

        def validate_response(
            self, response: Response, case: Case[Any], additional_checks: Any = None, **kwargs: Any
        ) -> None:
            try:
                case.validate_response(
                    response, checks=CHECKS, headers=kwargs.get("headers"), transport_kwargs=kwargs
                )
            except FailureGroup as group:
                curl = case.as_curl_command(headers=dict(response.request.headers))
                outcome.failures += [
                    f"{failure.title}: {failure.message}\n{curl}" for failure in group.exceptions
                ]
            except Failure as failure:
                curl = case.as_curl_command(headers=dict(response.request.headers))
                outcome.failures.append(f"{failure.title}: {failure.message}\n{curl}")

    seed = int(SEED or "20261204")
    # Each round runs one scenario at least (the first example of a run cannot be flaky).
    for round in range(machine.examples):
        left = machine.examples - outcome.scenarios
        if left <= 0:
            break
        settings = hypothesis.settings(
            max_examples=left,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        try:
            hypothesis.seed(seed + round)(Scenario).run(settings=settings)
        except hypothesis.errors.Flaky:
            continue
    return outcome
