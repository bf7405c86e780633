"""What the wire guard refuses before a request reaches the app is counted in `/metrics`
(`localexa_http_refused_total{status}`): a flood of 414s and 431s was invisible to an SRE who
relies on the metrics (QA of 2026-12-06)."""

from __future__ import annotations

import re

import httpx

from localexa.server.observe.metrics import WIRE_REFUSAL_STATUSES
from tests.wire.conftest import Served
from tests.wire.raw import exchange, request


def _refused(served: Served, status: int) -> float:
    text = httpx.get(f"{served.base_url}/metrics", timeout=10).text
    found = re.search(rf'^localexa_http_refused_total\{{status="{status}"\}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_wire_refusals_are_counted_by_status(served: Served) -> None:
    before = {status: _refused(served, status) for status in (400, 414, 431)}
    assert exchange(served.port, request("GET", f"/x?{'a' * 70_000}")).answer.status == 414
    assert exchange(served.port, request("GET", "/x", f"X-Big: {'a' * 70_000}")).answer.status == 431
    assert exchange(served.port, request("GET", "/x", f"X-Big: {'a' * 70_000}")).answer.status == 431
    assert exchange(served.port, b"NOT HTTP AT ALL\r\n\r\n").answer.status == 400
    assert _refused(served, 414) == before[414] + 1
    assert _refused(served, 431) == before[431] + 2
    assert _refused(served, 400) == before[400] + 1
    text = httpx.get(f"{served.base_url}/metrics", timeout=10).text
    assert "localexa_connections_shed_total" in text
    # Each status the wire answers with has its series from the start (observe/metrics.py): one
    # counted that is not in that list would appear only after its first refusal.
    listed = set(re.findall(r'^localexa_http_refused_total\{status="(\d+)"\}', text, re.MULTILINE))
    assert listed == {str(status) for status in WIRE_REFUSAL_STATUSES}


def test_wire_refusals_under_the_evaluation_api_carry_violations(served: Served) -> None:
    """The evaluation API's errors are BadRequestError with `violations`; the wire guard's 431
    and 414 there were `{code, message}` (rev3 QA). Elsewhere under SMAPI they stay so."""
    evaluations = "/v1/skills/amzn1.ask.skill.x/smartHome/testing/capabilityEvaluations"
    for target, status in ((evaluations, 431), (f"{evaluations}?{'a' * 70_000}", 414)):
        extra = (f"X-Big: {'a' * 70_000}",) if status == 431 else ()
        answer = exchange(served.port, request("GET", target, *extra)).answer
        assert answer.status == status, answer
        body = answer.json()
        assert body["violations"] == [{"code": body["code"], "message": body["message"]}], body
    elsewhere = exchange(served.port, request("GET", "/v1/skills/x/nothing", f"X-Big: {'a' * 70_000}")).answer
    assert elsewhere.status == 431, elsewhere
    assert "violations" not in elsewhere.json()
