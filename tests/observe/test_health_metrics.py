"""Health, readiness, Prometheus metrics and the structured log format."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from localexa.server.core.request_id import current_request_id
from localexa.server.db.engine import create_engine
from localexa.server.observe.logging_setup import configure_logging
from localexa.server.observe.metrics import Metrics
from tests.observe.helpers import ADMIN, add_fault


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return values


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_localexa/health")).json() == {"status": "ok"}
    ready = await client.get("/_localexa/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_ready_is_503_without_a_database(
    client: httpx.AsyncClient, app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    monkeypatch.setattr(app.state, "engine", broken)
    response = await client.get("/_localexa/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    monkeypatch.undo()
    await broken.dispose()


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/_localexa/customers", headers=ADMIN)
    await client.get("/_localexa/customers/amzn1.account.X", headers=ADMIN)
    await client.get("/_localexa/customers/amzn1.account.Y", headers=ADMIN)
    await client.get("/no/such/route")
    await add_fault(client, path="/v1/alexaApiEndpoint", status=503)
    await client.get("/v1/alexaApiEndpoint")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    template = "/_localexa/customers/{user_id}"
    key = (
        "localexa_http_requests_total",
        frozenset({("method", "GET"), ("route", template), ("status", "404")}),
    )
    assert samples[key] == 2
    assert samples[("localexa_http_request_duration_seconds_count", frozenset({("route", template)}))] == 2
    assert samples[("localexa_http_errors_total", frozenset({("route", template), ("kind", "4xx")}))] == 2
    unmatched = (
        "localexa_http_requests_total",
        frozenset({("method", "GET"), ("route", "unmatched"), ("status", "404")}),
    )
    assert samples[unmatched] == 1
    assert samples[("localexa_faults_injected_total", frozenset({("status", "503")}))] == 1
    assert not any("amzn1.account.X" in str(labels) for _, labels in samples)


def test_each_app_has_its_own_registry() -> None:
    one, two = Metrics(), Metrics()
    one.observe_request("GET", "/x", 200, 0.01)
    assert b'route="/x"' in one.render()
    assert b'route="/x"' not in two.render()


def test_log_lines_are_key_value_with_request_id_and_no_secrets() -> None:
    stream = io.StringIO()
    handler = configure_logging("info", stream=stream)
    try:
        token = current_request_id.set("req-123")
        try:
            logging.getLogger("localexa.test").info("refreshing with %s", "Atza|sEcReTtOkEn")
            logging.getLogger("localexa.test").info('body {"client_secret": "sEcReT2"}')
        finally:
            current_request_id.reset(token)
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert all("request_id=req-123" in line and "level=info" in line for line in lines)
    assert lines[0].startswith("time=")
    assert "logger=localexa.test" in lines[0]
    assert "sEcReT" not in stream.getvalue()


def test_a_log_line_holds_no_control_character() -> None:
    stream = io.StringIO()
    handler = configure_logging("info", stream=stream)
    try:
        # What a request path with %00, %0d, %0a, %1b or U+2028 puts in the access line.
        logging.getLogger("localexa.test").info("path=/x\x00y\rz\nw\x1b[31mv\u2028u")
    finally:
        logging.getLogger().removeHandler(handler)
    written = stream.getvalue()
    assert written.count("\n") == 1
    assert written.endswith("\n")
    assert not any(ord(c) < 0x20 and c != "\n" for c in written), repr(written)
    assert "\u2028" not in written
    assert 'msg="path=/x\\u0000y\\rz\\nw\\u001b[31mv\\u2028u"' in written


def test_a_log_line_holds_no_bidirectional_control() -> None:
    """A right-to-left override in a path reordered the rest of the line on a terminal."""
    stream = io.StringIO()
    handler = configure_logging("info", stream=stream)
    try:
        logging.getLogger("localexa.test").info("path=/a\u202eZ\u2066b\u200fc\u061c status=404")
    finally:
        logging.getLogger().removeHandler(handler)
    written = stream.getvalue()
    assert not any(c in written for c in "\u202e\u2066\u200f\u061c"), repr(written)
    assert 'msg="path=/a\\u202eZ\\u2066b\\u200fc\\u061c status=404"' in written


def test_alembic_plugin_chatter_stays_out_of_the_info_log() -> None:
    stream = io.StringIO()
    handler = configure_logging("info", stream=stream)
    try:
        logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate.schemas")
        logging.getLogger("alembic.runtime.migration").info("Running upgrade 0006 -> 0007")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "setup plugin" not in stream.getvalue()
    assert "Running upgrade" in stream.getvalue()


async def test_every_spelling_of_a_route_counts_under_its_documented_path(client: httpx.AsyncClient) -> None:
    """The token endpoint and tokeninfo answer in any letter case (lwa/any_case.py); their calls
    were three labels each (`/auth/o2/token`, `/auth/O2/token`, `/{auth_o2_token_in_any_case}`)."""
    for path in ("/auth/o2/token", "/auth/O2/token", "/AUTH/o2/Token"):
        await client.post(path, data={"grant_type": "password"})
    for path in ("/auth/o2/tokeninfo", "/auth/O2/tokeninfo", "/Auth/O2/TokenInfo"):
        await client.get(path)
    routes = _routes(await client.get("/metrics"))
    assert routes["POST", "/auth/o2/token"] == 3
    assert routes["GET", "/auth/o2/tokeninfo"] == 3
    assert {route for _, route in routes} == {"/auth/o2/token", "/auth/o2/tokeninfo"}


async def test_the_document_and_its_page_have_route_labels(client: httpx.AsyncClient) -> None:
    """They were `unmatched` with status 200; and FastAPI's `/docs/oauth2-redirect`, outside
    `/_localexa/`, is not served (the page needs it for no scheme of the document)."""
    assert (await client.get("/_localexa/openapi.json")).status_code == 200
    page = await client.get("/_localexa/docs")
    assert page.status_code == 200
    assert "oauth2" not in page.text.lower()
    assert (await client.get("/docs/oauth2-redirect")).status_code == 404
    routes = _routes(await client.get("/metrics"))
    assert routes["GET", "/_localexa/openapi.json"] == 1
    assert routes["GET", "/_localexa/docs"] == 1
    assert routes["GET", "unmatched"] == 1


async def test_methods_outside_the_standard_ones_count_as_other(client: httpx.AsyncClient) -> None:
    """Any token is a method to a client; each one (PROPFIND, MKCOL, …) was a series of its own."""
    for method in ("PROPFIND", "MKCOL", "BREW"):
        assert (await client.request(method, "/v3/events")).status_code == 405
    await client.request("PATCH", "/v3/events")
    routes = _routes(await client.get("/metrics"))
    assert routes == {("other", "/v3/events"): 3, ("PATCH", "/v3/events"): 1}


async def test_no_created_series(client: httpx.AsyncClient) -> None:
    """prometheus-client's `*_created` series, one per label set, were a sixth of the text."""
    await client.get("/_localexa/health")
    await client.post("/_localexa/faults", json={"path": "/x", "status": 503}, headers=ADMIN)
    await client.get("/x")
    text = (await client.get("/metrics")).text
    assert "localexa_http_requests_total{" in text
    assert "localexa_http_request_duration_seconds_count{" in text
    assert "_created" not in text


def _routes(metrics: httpx.Response) -> dict[tuple[str, str], float]:
    """(method, route) → calls counted, over every status."""
    counted: dict[tuple[str, str], float] = {}
    for (name, labels), value in _samples(metrics.text).items():
        if name == "localexa_http_requests_total":
            found = dict(labels)
            key = (found["method"], found["route"])
            counted[key] = counted.get(key, 0) + value
    return counted


async def test_wire_refusal_series_are_there_at_zero_before_any_refusal(client: httpx.AsyncClient) -> None:
    """Prometheus's advice for known label values: a fresh server listed no
    `localexa_http_refused_total` at all, so an alert on its rate had no data (QA of 2026-12-06).
    tests/wire/test_refusals_counted.py holds the statuses to those the wire answers with."""
    samples = _samples((await client.get("/metrics")).text)
    for status in ("400", "408", "414", "431", "501", "503", "505"):
        assert samples[("localexa_http_refused_total", frozenset({("status", status)}))] == 0.0
