"""schemathesis against localexa's own OpenAPI document (`/_localexa/openapi.json`).

A real `localexa serve` (on SQLite, and on PostgreSQL with Redis when the tests have them) is
seeded through the admin API with a developer and their skill (both stages, the Thread and event
permissions, its endpoint and its account linking on a Starlette server on 127.0.0.1 that answers
every directive and grants any code), and each API gets the token it takes: an app's token with
the SMAPI and account-linking scopes, the skill messaging client's token for the Credential Locker
and the event gateway. schemathesis then runs every phase (examples, coverage, fuzzing, stateful)
over every operation with those tokens, the admin key, and path parameters pinned to the real
skill and customer (and, through schemathesis_hooks.py, the customer and skill a directive's body
names), so it reaches past the 401s, 403s and 404s into the APIs' own rules (enable and link
really links; a directive reaches the skill and its answer is judged). No response may be a
5xx, and every response must conform to the document: its status, content type, headers and
body schema (core/openapi.py declares each API family's error shapes). Invalid input must be
refused with a 4xx, unsupported methods with 405 and `Allow`, calls without their credential
with 401.

Bounded: a few examples per operation, a fixed seed and a hard timeout. To explore by hand, set
LOCALEXA_FUZZ_SEED (another seed), LOCALEXA_FUZZ_MAX_EXAMPLES (more examples per operation) and
LOCALEXA_FUZZ_TIMEOUT (seconds).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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

pytest.importorskip("schemathesis", reason="schemathesis is in the dev extra: pip install -e '.[dev]'")

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "unsupported_method",
        "ignored_auth",
        "missing_required_header",
    ]
)
#: The control plane would pull the rug from under the rest of the run: it is fuzzed after it,
#: one part at a time, in this order (faults, reset and restore cannot touch each other: calls to
#: them are exempt from faults).
CONTROL_PLANE = {
    "/_localexa/clock": "moving the clock forward expires the run's own tokens",
    "/_localexa/(faults.*|reset|restore|snapshot)": "faults make later calls answer 5xx on purpose; "
    "reset and restore wipe or replace all state",
    # Last: after it the run's own customer and skill may be gone.
    "/_localexa/(customers|skills)/[^/]+": "deleting the run's customer or skill revokes the tokens "
    "every other run sends",
}
#: Parts of the control plane no link starts or ends at: their runs skip the stateful phase.
WITHOUT_LINKS = frozenset({"/_localexa/clock", "/_localexa/(customers|skills)/[^/]+"})
ASYNC_EVENTS = "alexa::async_event:write"
MAX_EXAMPLES = int(os.environ.get("LOCALEXA_FUZZ_MAX_EXAMPLES", "6"))
TIMEOUT_SECONDS = int(os.environ.get("LOCALEXA_FUZZ_TIMEOUT", "170"))


def test_openapi_document_holds_under_fuzzing(
    tmp_path: Path, storage: tuple[str | None, dict[str, str]]
) -> None:
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
            _fuzz(server, admin_key, skill_side, tmp_path)
        finally:
            server.stop()


def _fuzz(server: ServerProcess, admin_key: str, skill_side: str, tmp_path: Path) -> None:
    linking = {
        "type": "AUTH_CODE",
        "authorizationUrl": f"{skill_side}/authorize",
        "accessTokenUrl": f"{skill_side}/token",
        "clientId": "alexa-skill",
        "clientSecret": "s3cret",
        "accessTokenScheme": "HTTP_BASIC",
        "scopes": ["lights"],
    }  # no redirectUrls: any redirectUri the fuzzer sends is one the skill accepts
    owner = skill(
        server,
        permissions=[THREAD_PERMISSION, ASYNC_EVENTS],
        account_linking=linking,
        stages=["development", "live"],
        endpoint=f"{skill_side}/skill",
    )
    scopes = [READWRITE, "alexa::ask:skills:read", ACCOUNT_LINKING, "profile"]
    access = app_token(server, owner.developer, scopes)
    # The event gateway and the Credential Locker act for a customer who linked the skill: not the
    # developer, whose enablements the fuzzer itself turns on and off.
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
    page_client = server.admin(
        "lwa-clients", {"name": "Page", "redirectUris": ["https://app.example.com/cb"]}
    )["clientId"]
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        # In the file, not as --header: a header given on the command line replaces these.
        f'headers = {{ Authorization = "Bearer {access}", X-Localexa-Admin-Key = "{admin_key}" }}\n'
        "[parameters]\n"
        f'"path.skill_id" = "{owner.skill_id}"\n'
        f'"path.skillId" = "{owner.skill_id}"\n'
        # The admin API's customer paths name the linked customer: their skill stays enabled.
        f'"path.user_id" = "{linked}"\n'
        f'"path.userId" = "{linked}"\n'
        # The sign-in page for a real client, so it answers its page and its redirects, not only 400s.
        f'"query.client_id" = "{page_client}"\n'
        '"query.redirect_uri" = "https://app.example.com/cb"\n'
        # The Credential Locker and the event gateway take the skill messaging client's token.
        "[[operations]]\n"
        'include-path-regex = "^/(credentiallocker/|v3/events)"\n'
        f'headers = {{ Authorization = "Bearer {messaging}", X-Localexa-Admin-Key = "{admin_key}" }}\n'
    )
    command = [
        *_schemathesis(),
        "--config-file",
        str(config),
        "run",
        f"{server.base_url}/_localexa/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        os.environ.get("LOCALEXA_FUZZ_SEED", "20261122"),
        # One worker: with two, hypothesis (describing its filters) and schemathesis parse Python
        # source in two threads at once, and CPython 3.11's AST builder keeps its recursion depth
        # per interpreter, not per thread: now and then a run died of "SystemError: AST
        # constructor recursion depth mismatch" inside schemathesis (cpython gh-106905), not of
        # anything localexa answered (seen here in a run of 150 examples).
        "--workers",
        "1",
        "--request-timeout",
        "15",
        "--no-shrink",
        "--suppress-health-check",
        "all",
    ]
    hooks = {
        "SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("schemathesis_hooks.py")),
        "FUZZ_USER_ID": linked,
        "FUZZ_SKILL_ID": owner.skill_id,
    }
    control_plane = "^(" + "|".join(CONTROL_PLANE) + ")$"
    runs = [["--exclude-path-regex", control_plane]]
    for part in CONTROL_PLANE:
        selection = ["--include-path-regex", f"^({part})$"]
        if part in WITHOUT_LINKS:
            # The document has links (core/openapi.py LINKS), and a run whose operations have
            # none of them is an error of the stateful phase ("excluded by filters"), not a pass.
            selection += ["--phases", "examples,coverage,fuzzing"]
        runs.append(selection)
    for selection in runs:
        run = subprocess.run(
            [*command, *selection],
            cwd=tmp_path,
            env={**os.environ, **hooks},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        report = run.stdout + run.stderr
        assert run.returncode == 0, (
            f"schemathesis {selection} found problems:\n{report[-12000:]}\n--- server log ---\n{server.log()}"
        )
        assert "Tested: " in report  # it really ran the operations
        # Every operation was reached with a credential it takes (not only 401s and 403s).
        assert "Authentication failed" not in report, report[-12000:]


def _skill_side() -> Starlette:
    """The skill's side on 127.0.0.1: its account-linking token URL (every code is good: the
    fuzzer's are random, so enable-and-link links and the customer routes after it are reached)
    and its endpoint, which answers every directive (Discover with one light, AcceptGrant, any
    other with an Alexa.Response), so a directive's answer is judged rather than unreachable."""

    async def grant(_request: Request) -> JSONResponse:
        return JSONResponse(
            {"access_token": "granted", "token_type": "bearer", "expires_in": 3600, "refresh_token": "again"}
        )

    async def answer(request: Request) -> JSONResponse:
        directive = (await request.json()).get("directive", {})
        header = directive.get("header", {})
        namespace = header.get("namespace")
        event: dict[str, Any] = {
            "header": {
                "namespace": "Alexa",
                "name": "Response",
                "payloadVersion": "3",
                "messageId": _message_id(),
            },
            "payload": {},
        }
        if namespace == "Alexa.Discovery":
            event["header"].update(namespace=namespace, name="Discover.Response")
            event["payload"] = {"endpoints": [LAMP]}
        elif namespace == "Alexa.Authorization":
            event["header"].update(namespace=namespace, name="AcceptGrant.Response")
        else:
            event["header"]["correlationToken"] = header.get("correlationToken")
            event["endpoint"] = {"endpointId": directive.get("endpoint", {}).get("endpointId", "lamp")}
        return JSONResponse({"event": event})

    return Starlette(
        routes=[Route("/token", grant, methods=["POST"]), Route("/skill", answer, methods=["POST"])]
    )


def _message_id() -> str:
    return str(uuid.uuid4())


#: The one endpoint the skill discovers.
LAMP = {
    "endpointId": "lamp",
    "manufacturerName": "Fuzz",
    "friendlyName": "Lamp",
    "description": "A lamp the fuzzer switches",
    "displayCategories": ["LIGHT"],
    "capabilities": [
        {"type": "AlexaInterface", "interface": "Alexa", "version": "3"},
        {
            "type": "AlexaInterface",
            "interface": "Alexa.PowerController",
            "version": "3",
            "properties": {
                "supported": [{"name": "powerState"}],
                "proactivelyReported": False,
                "retrievable": True,
            },
        },
    ],
}


def _schemathesis() -> list[str]:
    """The CLI of the schemathesis in this interpreter's environment."""
    script = Path(sys.executable).parent / "schemathesis"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()"]
