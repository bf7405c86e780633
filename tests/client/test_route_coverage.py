"""Every API localexa serves has a client call ("what the CLI does, your code can do too").

The audit is dynamic, so it cannot drift from the code: every public call of `Client` (the same
enumeration test_parity uses, with dummy arguments) runs against a fake transport that records the
(method, path) of each request, and each recorded path is matched to the operation templates of
the app's own OpenAPI document. Every documented operation must be reached by some call or be
listed in `NOT_FOR_CODE` with its reason; every route left out of the document (browser pages,
aliases, scrapes) must be listed in `UNDOCUMENTED` so a new one cannot slip by unexamined. Parity
of the async twin is test_parity's job (same requests from the same calls).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from localexa.server.app import create_app
from localexa.server.settings import Settings
from tests.client.test_parity import EVERY_CALL, LOCAL_ONLY, Recorder, run_sync

Operation = tuple[str, str]  # (METHOD, path template as the OpenAPI document writes it)

#: Documented operations no code calls, each with why.
NOT_FOR_CODE: dict[Operation, str] = {
    # The LWA consent page is for a person in a browser (sign in, allow); code builds its URL with
    # `client.lwa.authorization_url` (no I/O) and receives the code at its redirect URI.
    ("GET", "/ap/oa"): "browser page: the consent form",
    ("POST", "/ap/oa"): "browser page: the consent form's submission",
}

#: Routes the OpenAPI document leaves out (`include_in_schema=False`), each with why no client
#: call needs them. HEAD is not listed: it is served by middleware for every GET (core/head.py),
#: not by routes. The documentation itself (/_localexa/openapi.json, /_localexa/docs) is not an
#: API route and is not walked.
UNDOCUMENTED: dict[Operation, str] = {
    ("GET", "/ap/static/lwa.css"): "the consent page's stylesheet",
    ("GET", "/ap/{rest}"): "Amazon's other /ap/ browser paths (sign-in variants), answered as pages",
    ("POST", "/ap/{rest}"): "Amazon's other /ap/ browser paths (sign-in variants), answered as pages",
    ("POST", "/{auth_o2_token_in_any_case}"): "other spellings of /auth/o2/token (/auth/O2/token …)",
    ("GET", "/{auth_o2_tokeninfo_in_any_case}"): "other spellings of /auth/o2/tokeninfo",
    ("GET", "/_localexa/demo/callback"): "the demo's redirect URI: an HTML page for the browser",
    ("GET", "/metrics"): "Prometheus text for a scraper, not JSON for code",
    **{
        (method, path): "the console: HTML pages and forms for a person (the admin API is the code's way)"
        for method, path in [
            ("GET", "/console"),
            ("GET", "/console/"),
            ("GET", "/console/{slug}"),
            ("GET", "/console/static/{name}"),
            ("GET", "/console/login"),
            ("POST", "/console/login"),
            ("POST", "/console/logout"),
            ("GET", "/console/journal"),
            ("GET", "/console/journal/rows"),
            ("GET", "/console/journal/{entry_id}"),
            ("GET", "/console/faults"),
            ("POST", "/console/faults"),
            ("POST", "/console/faults/{fault_id}/delete"),
            ("GET", "/console/clock"),
            ("POST", "/console/clock"),
        ]
    },
}

_METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app, built but not started: its routes and document need no database."""
    data: Path = tmp_path_factory.mktemp("coverage")
    return create_app(
        Settings(
            data_dir=data / "data",
            database_url=f"sqlite+aiosqlite:///{data / 'localexa.db'}",
            demo=False,
            admin_key="coverage-admin-key",
            password_hash_n=1024,
        )
    )


def documented(app: FastAPI) -> set[Operation]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item if method in _METHODS}


def _routes(app: FastAPI) -> Iterator[Any]:
    # FastAPI >= 0.160 keeps included routers as wrappers; `iter_route_contexts` gives their
    # routes with the prefixes applied (as the server's core/openapi.py reads them).
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    if iterate is None:
        yield from (route for route in app.routes if isinstance(route, APIRoute))
        return
    for context in iterate(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def undocumented(app: FastAPI) -> set[Operation]:
    return {
        (method, route.path_format)
        for route in _routes(app)
        if not route.include_in_schema
        for method in route.methods
    }


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _answer(request: httpx.Request) -> httpx.Response:
    """A 2xx to everything, so multi-step flows go on: the endpoint discovery names a host, so
    the customer enablement calls reach their `/v1/users/~current/...` step."""
    if request.url.path == "/v1/alexaApiEndpoint":
        return httpx.Response(200, json={"endpoints": ["api.amazonalexa.com"]})
    status = {"/_localexa/health": "ok", "/_localexa/ready": "ready"}.get(request.url.path)
    if status:  # `localexa admin health` asks both, the second only when the first said ok
        return httpx.Response(200, json={"status": status})
    return httpx.Response(200, json={})


def _not_found(request: httpx.Request) -> httpx.Response:
    # Some flows take another branch on an error (region fallback, gone-is-done).
    return httpx.Response(404, json={"code": "NOT_FOUND", "message": "It is not here."})


def sent_by_the_client() -> dict[tuple[str, str], set[str]]:
    """(method, concrete path) of every request some public call sends -> the calls sending it."""
    sent: dict[tuple[str, str], set[str]] = {}
    options = {"auth": "Atza|dev", "admin_key": "admin-key", "max_retries": 0}
    for dotted, path, kwargs in EVERY_CALL:
        if path[-1] in LOCAL_ONLY:
            continue
        for answer in (_answer, _not_found):
            recorder = Recorder(answer)
            run_sync(path, kwargs, recorder, **options)  # the outcome does not matter here
            for method, url_path, _ in recorder.seen:
                sent.setdefault((method, url_path), set()).add(dotted)
    return sent


def covered(operations: set[Operation], sent: dict[tuple[str, str], set[str]]) -> dict[Operation, set[str]]:
    """Operation -> the client calls reaching it; raises on a request matching no operation."""
    patterns = {operation: _template(operation[1]) for operation in operations}
    reached: dict[Operation, set[str]] = {}
    for (method, url_path), callers in sent.items():
        matches = [op for op, pattern in patterns.items() if op[0] == method and pattern.fullmatch(url_path)]
        assert matches, f"{sorted(callers)} send {method} {url_path}, which the server does not document"
        for operation in matches:
            reached.setdefault(operation, set()).update(callers)
    return reached


def test_every_documented_operation_has_a_client_call_or_a_reason(server: FastAPI) -> None:
    operations = documented(server)
    assert len(operations) > 45  # the document was read, not an empty one
    reached = covered(operations, sent_by_the_client())
    missing = sorted(operations - reached.keys() - NOT_FOR_CODE.keys())
    assert not missing, f"operations no client call sends and NOT_FOR_CODE does not explain: {missing}"
    # The exclusions stay true: each names a documented operation that really has no call.
    assert NOT_FOR_CODE.keys() <= operations, sorted(NOT_FOR_CODE.keys() - operations)
    assert not NOT_FOR_CODE.keys() & reached.keys(), sorted(NOT_FOR_CODE.keys() & reached.keys())


def test_every_undocumented_route_is_explained(server: FastAPI) -> None:
    hidden = undocumented(server)
    assert not hidden - UNDOCUMENTED.keys(), (
        f"routes out of the OpenAPI document that UNDOCUMENTED does not explain: "
        f"{sorted(hidden - UNDOCUMENTED.keys())}"
    )
    assert not UNDOCUMENTED.keys() - hidden, f"stale entries: {sorted(UNDOCUMENTED.keys() - hidden)}"


def test_the_audit_notices_a_call_that_is_gone(server: FastAPI) -> None:
    """The matching is not vacuous: without the account-linking calls' requests, their three
    operations are reported missing."""
    operations = documented(server)
    sent = {
        key: callers
        for key, callers in sent_by_the_client().items()
        if not any(c.startswith("client.account_linking.") for c in callers)
    }
    missing = operations - covered(operations, sent).keys() - NOT_FOR_CODE.keys()
    linking = "/v1/skills/{skill_id}/stages/{stage}/accountLinkingClient"
    assert missing == {("GET", linking), ("PUT", linking), ("DELETE", linking)}
