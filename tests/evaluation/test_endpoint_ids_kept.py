"""A run against an endpoint whose endpointId reads like a URL's secret field (`lamp?code=1`).

The v3 pattern (1-256 of `a-zA-Z0-9_-=#;:?@&`) takes it, and so does `POST
…/capabilityEvaluations`. localexa kept every directive and answer redacted by the journal's
rules, which read `?code=1` as a secret field (QA of the night of 2026-12-06):
- a skill answering at once passed, but its results showed `lamp?code=[redacted]` as the
  directive's and the answer's endpointId beside an expected `lamp?code=1`;
- a skill answering with DeferredResponse failed every case: its answer at the gateway was judged
  against the kept directive, "not a valid directive (directive.endpoint.endpointId: String should
  match pattern …)";
- a Discover.Response listing the endpoint twice was not MULTIPLE_MATCHED_ENDPOINTS (the redacted
  answer listed it nowhere).
An endpointId of the pattern is kept as given now (directives/scrub.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localexa.samples.mylights import build_skill, create_mylights_app
from localexa.server.evaluation.plans import plan_id_for
from localexa.skill import Message
from tests.evaluation.helpers import finished, linked_developer, results, run, start
from tests.evaluation.skills import SkillServer, _cloud
from tests.evaluation.test_deferred_answers import Deferring, _developer, _post_later
from tests.factories import Admin
from tests.servers import serve_in_thread

ODD = "lamp?code=1"
Hook = Callable[[dict[str, Any], Message], Message]


def _named(message: Message, old: str, new: str) -> None:
    """`old` renamed `new` where a message names its endpoint (in place)."""
    inner = message.get("directive") or message.get("event") or {}
    endpoints = [inner.get("endpoint") or {}, *((inner.get("payload") or {}).get("endpoints") or [])]
    for endpoint in endpoints:
        if endpoint.get("endpointId") == old:
            endpoint["endpointId"] = new


@contextmanager
def odd_lamp(hook: Hook | None = None, *, twice: bool = False) -> Iterator[SkillServer]:
    """My Lights whose kitchen light is called ODD to Alexa (listed twice in Discover.Response with
    `twice`); `hook` then sees each directive and answer, as tests/evaluation/skills.py's."""
    cloud = _cloud()
    skill = build_skill(cloud)
    app = create_mylights_app(cloud=cloud)

    async def endpoint(request: Request) -> Response:
        event = json.loads(await request.body())
        _named(event, ODD, "kitchen")
        answer = await skill.handle(event)
        _named(event, "kitchen", ODD)
        _named(answer, "kitchen", ODD)
        if twice and event["directive"]["header"]["name"] == "Discover":
            listed = answer["event"]["payload"]["endpoints"]
            listed.extend([dict(e) for e in listed if e["endpointId"] == ODD])
        return JSONResponse(hook(event, answer) if hook is not None else answer)

    app.router.routes.insert(0, Route("/skill", endpoint, methods=["POST"]))
    with serve_in_thread(app) as url:
        yield SkillServer(url, cloud)


def _endpoint_ids(result: dict[str, Any]) -> list[str]:
    return [
        result["directive"]["endpoint"]["endpointId"],
        result["actualResponse"]["event"]["endpoint"]["endpointId"],
        result["expectedResponse"]["event"]["endpoint"]["endpointId"],
    ]


async def test_a_run_shows_the_endpoint_id_as_given(client: httpx.AsyncClient, admin: Admin) -> None:
    with odd_lamp() as server:
        dev = await linked_developer(client, admin, server)
        body, found = await run(client, dev, "PowerController", ODD)
    assert body["status"] == "PASSED", [r.get("reasons") or r.get("error") for r in found]
    assert body["input"]["endpoint"] == {"endpointId": ODD}
    assert found
    for result in found:
        assert _endpoint_ids(result) == [ODD, ODD, ODD], result
        assert result["directive"]["endpoint"]["scope"]["token"] == "[redacted]"  # still hidden


async def test_deferred_answers_for_the_endpoint_pass(client: httpx.AsyncClient, admin: Admin) -> None:
    hook = Deferring()
    with odd_lamp(hook) as server:
        dev, token = await _developer(client, admin, server)
        stop = asyncio.Event()
        poster = asyncio.create_task(_post_later(client, hook, token, stop))
        try:
            evaluation_id = await start(client, dev, plan_id_for("PowerController"), ODD)
            body = await finished(client, dev, evaluation_id)
        finally:
            stop.set()
            await poster
    found = await results(client, dev, evaluation_id)
    assert body["status"] == "PASSED", [r.get("reasons") or r.get("error") for r in found]
    assert hook.deferred >= 8  # every set-up and directive under test was answered at the gateway
    for result in found:
        assert _endpoint_ids(result) == [ODD, ODD, ODD], result


async def test_the_endpoint_listed_twice_is_multiple_matched_endpoints(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    with odd_lamp(twice=True) as server:
        dev = await linked_developer(client, admin, server)
        body, found = await run(client, dev, "PowerController", ODD)
    assert body["status"] == "ERROR"
    assert body["error"]["code"] == "MULTIPLE_MATCHED_ENDPOINTS", body["error"]
    assert f"2 endpoints with endpointId {ODD}" in body["error"]["message"]
    assert found == []
