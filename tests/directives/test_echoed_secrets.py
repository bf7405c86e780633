"""A skill that echoes the token (or AcceptGrant's grant code) back: localexa keeps none of it.

Field-name redaction cannot see a secret in free text (an HTTP 500 body, an ErrorResponse
`payload.message`, a handler's exception), so the values localexa sent are hidden wherever they
come back: in the admin API's answer, in `skill_messages`, in the follow-up status, in the journal.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from localexa.server.core.http import OutboundCall, OutboundHttp
from localexa.server.directives.invoker import InvocationErrorKind, SkillInvoker
from localexa.server.directives.lambda_pool import LambdaPool
from localexa.skill import error_response
from tests.directives.conftest import MyLights, endpoints_after_link, link_customer, send
from tests.factories import Admin
from tests.observe.helpers import journal
from tests.servers import serve_in_loop

REDACTED = "[redacted]"
TOKEN = "skilltok-44e90b-0123456789"


@dataclass
class EchoingSkill:
    """Answers every directive with a failure that quotes the secrets it was sent."""

    secrets: list[str] = field(default_factory=list)

    async def answer(self, request: Request) -> Response:
        message: dict[str, Any] = await request.json()
        directive = message["directive"]
        name, payload = directive["header"]["name"], directive["payload"]
        if name == "Discover":
            token = payload["scope"]["token"]
            self.secrets.append(token)
            return PlainTextResponse(f"bad token {token}", status_code=500)
        if name == "AcceptGrant":
            code, token = payload["grant"]["code"], payload["grantee"]["token"]
            self.secrets += [code, token]
            return JSONResponse(error_response(message, "ACCEPT_GRANT_FAILED", f"code {code} for {token}"))
        token = directive["endpoint"]["scope"]["token"]
        self.secrets.append(token)
        if name == "TurnOn":
            return JSONResponse(error_response(message, "ENDPOINT_UNREACHABLE", f"bad token {token}"))
        # The token straddles the 200 characters of the error's excerpt.
        return PlainTextResponse(f"{'.' * 190}{token}", status_code=500)


@pytest.fixture
async def echoing() -> AsyncIterator[tuple[EchoingSkill, str]]:
    skill = EchoingSkill()
    async with serve_in_loop(Starlette(routes=[Route("/skill", skill.answer, methods=["POST"])])) as url:
        yield skill, f"{url}/skill"


def _leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets (or a 12-character start of one) found in `text`."""
    return [secret for secret in secrets if secret[:12] in text]


async def test_echoed_secrets_are_hidden_everywhere_localexa_keeps_them(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights, echoing: tuple[EchoingSkill, str]
) -> None:
    skill, url = echoing
    linked = await link_customer(admin, client, mylights, endpoint=url)
    view = await endpoints_after_link(admin, linked)
    answers = [
        (
            await send(
                admin,
                {
                    "userId": linked.user_id,
                    "skillId": linked.skill_id,
                    "endpointId": "light-1",
                    "namespace": "Alexa.PowerController",
                    "name": name,
                },
            )
        ).json()
        for name in ("TurnOn", "TurnOff")
    ]
    messages = (await admin.client.get(linked.path("messages"), headers=admin.headers)).json()
    journaled = await journal(client, limit=1000)

    assert len(set(skill.secrets)) == 2  # the linked token and the grant code
    assert view["discovery"]["message"].endswith(f"answered HTTP 500: bad token {REDACTED}")
    assert view["acceptGrant"]["message"] == (
        f"ErrorResponse ACCEPT_GRANT_FAILED: code {REDACTED} for {REDACTED}"
    )
    assert answers[0]["response"]["event"]["payload"]["message"] == f"bad token {REDACTED}"
    assert answers[1]["error"]["message"].endswith(f"answered HTTP 500: {'.' * 190}{REDACTED}")
    for shown in (view, answers, messages, journaled):
        assert _leaks(json.dumps(shown), skill.secrets) == []


async def test_a_handler_error_quoting_the_token_is_hidden() -> None:
    outbound, lambdas = OutboundHttp(), LambdaPool()
    seen: list[OutboundCall] = []

    async def observer(call: OutboundCall) -> None:
        seen.append(call)

    outbound.observers.append(observer)
    message = {
        "directive": {
            "header": {"namespace": "Alexa", "name": "ReportState", "correlationToken": "c-1"},
            "endpoint": {"endpointId": "e-1", "scope": {"type": "BearerToken", "token": TOKEN}},
            "payload": {},
        }
    }
    try:
        invocation = await SkillInvoker(outbound, lambdas, timeout=5).invoke(
            "python:tests.directives.handlers:raise_with_token", message
        )
    finally:
        await outbound.aclose()
        await lambdas.aclose()

    assert invocation.error is not None
    assert invocation.error.kind is InvocationErrorKind.HANDLER_ERROR
    assert invocation.error.message == f"PermissionError: bad token {REDACTED}"
    assert TOKEN not in invocation.logs
    assert [call.error for call in seen] == [invocation.error.message]


async def test_a_password_in_the_skill_endpoint_url_is_not_in_the_error() -> None:
    """A skill endpoint may carry `user:password@`: the stored error names the endpoint without it."""

    async def failing(request: Request) -> Response:
        return PlainTextResponse("down", status_code=503)

    outbound, lambdas = OutboundHttp(), LambdaPool()
    message = {"directive": {"header": {"namespace": "Alexa", "name": "ReportState"}, "payload": {}}}
    try:
        async with serve_in_loop(Starlette(routes=[Route("/skill", failing, methods=["POST"])])) as url:
            endpoint = url.replace("http://", "http://skilluser:hunter2pw@") + "/skill"
            invocation = await SkillInvoker(outbound, lambdas, timeout=5).invoke(endpoint, message)
    finally:
        await outbound.aclose()
        await lambdas.aclose()
    assert invocation.error is not None
    assert invocation.error.kind is InvocationErrorKind.HTTP_STATUS
    assert "hunter2pw" not in invocation.error.message
    assert invocation.error.message.startswith(f"{url}/skill answered HTTP 503")


OTHER_TOKEN = "Atza|IwEBIOlderTokenNeverSent0123456789abcdef"


async def _quotes_another_token(request: Request) -> Response:
    """Fails every directive quoting an LWA token localexa did not send it (an older one, say)."""
    return PlainTextResponse(f'{{"error":"boom {OTHER_TOKEN} token"}}', status_code=500)


async def test_an_lwa_token_the_skill_was_never_sent_is_redacted_as_the_journal_does(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    """The journal hides `Atza|…` anywhere in any text; the directive's answer, the follow-up
    status and the message log hid only the secrets the directive carried until 2026-12-06."""
    app = Starlette(routes=[Route("/skill", _quotes_another_token, methods=["POST"])])
    async with serve_in_loop(app) as url:
        linked = await link_customer(admin, client, mylights, endpoint=f"{url}/skill")
        view = await endpoints_after_link(admin, linked)
        answer = await send(
            admin,
            {
                "userId": linked.user_id,
                "skillId": linked.skill_id,
                "endpointId": "light-1",
                "namespace": "Alexa.PowerController",
                "name": "TurnOn",
            },
        )
    messages = (await admin.client.get(linked.path("messages"), headers=admin.headers)).json()
    journaled = await journal(client, limit=1000)

    assert answer.status_code == 200, answer.text
    told = f"boom Atza|{REDACTED} token"
    assert told in answer.json()["error"]["message"]
    assert told in answer.json()["verdict"]["problems"][0]["message"]
    assert told in view["discovery"]["message"]
    assert view["discovery"]["status"] == "FAILED"
    answered = [m for m in messages["messages"] if m["direction"] == "response"]
    assert answered
    assert all(
        told in m["error"]["message"] and told in m["verdict"]["problems"][0]["message"] for m in answered
    )
    for shown in (view, answer.json(), messages, journaled):
        assert "OlderTokenNeverSent" not in json.dumps(shown)


async def _token_in_its_header(request: Request) -> Response:
    """Answers an ErrorResponse whose header `name` and `endpointId` are an LWA token."""
    message: dict[str, Any] = await request.json()
    answer = error_response(message, "ENDPOINT_UNREACHABLE", "unreachable")
    answer["event"]["header"]["name"] = f"Bogus{OTHER_TOKEN}"
    answer["event"]["header"]["correlationToken"] = OTHER_TOKEN
    answer["event"]["endpoint"] = {"endpointId": OTHER_TOKEN}
    return JSONResponse(answer)


async def test_the_message_logs_name_and_endpoint_id_columns_are_redacted_as_its_body(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    """The message log's `name` and `endpointId` were taken from the body before its redaction,
    so an `Atza|…` the skill put there stood in clear beside the redacted body (re-verification
    of 2026-12-06)."""
    app = Starlette(routes=[Route("/skill", _token_in_its_header, methods=["POST"])])
    async with serve_in_loop(app) as url:
        linked = await link_customer(admin, client, mylights, endpoint=f"{url}/skill")
        await endpoints_after_link(admin, linked)
        answer = await send(
            admin,
            {
                "userId": linked.user_id,
                "skillId": linked.skill_id,
                "endpointId": "light-1",
                "namespace": "Alexa.PowerController",
                "name": "TurnOn",
            },
        )
    assert answer.status_code == 200, answer.text
    messages = (await admin.client.get(linked.path("messages"), headers=admin.headers)).json()
    answered = [m for m in messages["messages"] if m["direction"] == "response"]
    assert answered
    for shown in answered:
        assert shown["name"] == f"BogusAtza|{REDACTED}", shown
        assert shown["endpointId"] == f"Atza|{REDACTED}", shown
    assert "OlderTokenNeverSent" not in json.dumps(messages)
    # Nor in the message log's correlation token column, which a snapshot writes to a file (the
    # skill's answer echoed it as its correlationToken; re-verification of 2026-12-06).
    snapshot = await admin.client.post("/_localexa/snapshot", headers=admin.headers)
    assert snapshot.status_code == 200, snapshot.text
    assert "OlderTokenNeverSent" not in snapshot.text


#: A skill's token with the characters JSON encoders and URLs write otherwise (base64: `/`, `+`, `=`).
BASE64_TOKEN = "c2tpbGwvdG9rZW4rYWJj/ZGVmZ2hp+ams/bG1ub3A="
#: How skills' encoders write it: Gson (`=` as `\u003d`), PHP's json_encode (`/` as `\/`), a URL.
ESCAPED = {
    "gson": BASE64_TOKEN.replace("=", "\\u003d"),
    "php": BASE64_TOKEN.replace("/", "\\/"),
    "url": BASE64_TOKEN.replace("/", "%2F").replace("+", "%2B").replace("=", "%3D"),
}


async def _echoes_escaped(request: Request) -> Response:
    """Answers an ErrorResponse (or, with ?status=500, an HTTP 500 in a few words) quoting the
    token as the encoder named by ?style= writes it, in the raw body."""
    quoted = f"token {ESCAPED[request.query_params['style']]} unknown"
    if request.query_params.get("status") == "500":
        return PlainTextResponse(quoted, status_code=500)
    body = (
        '{"event":{"header":{"namespace":"Alexa","name":"ErrorResponse","payloadVersion":"3",'
        '"messageId":"m-1","correlationToken":"c-1"},"endpoint":{"endpointId":"e-1"},'
        f'"payload":{{"type":"INVALID_AUTHORIZATION_CREDENTIAL","message":"{quoted}"}}}}}}'
    )
    return Response(body, media_type="application/json")


@pytest.mark.parametrize("style", list(ESCAPED))
async def test_a_token_echoed_with_escaped_characters_is_hidden(style: str) -> None:
    """The token was found only as sent: the rest of it stayed in clear in the journal's body and
    in an HTTP error's text, the `/`, `=` or `+` written otherwise (QA of 2026-12-07)."""
    outbound, lambdas = OutboundHttp(), LambdaPool()
    seen: list[OutboundCall] = []

    async def observer(call: OutboundCall) -> None:
        seen.append(call)

    outbound.observers.append(observer)
    message = {
        "directive": {
            "header": {"namespace": "Alexa", "name": "ReportState", "correlationToken": "c-1"},
            "endpoint": {"endpointId": "e-1", "scope": {"type": "BearerToken", "token": BASE64_TOKEN}},
            "payload": {},
        }
    }
    app = Starlette(routes=[Route("/skill", _echoes_escaped, methods=["POST"])])
    try:
        async with serve_in_loop(app) as url:
            invoker = SkillInvoker(outbound, lambdas, timeout=5)
            answered = await invoker.invoke(f"{url}/skill?style={style}", message)
            failed = await invoker.invoke(f"{url}/skill?style={style}&status=500", message)
    finally:
        await outbound.aclose()
        await lambdas.aclose()

    assert failed.error is not None
    assert failed.error.kind is InvocationErrorKind.HTTP_STATUS
    assert f"token {REDACTED} unknown" in failed.error.message
    assert answered.answer is not None  # stored redacted (recording.py), as before
    journaled = [call.response_body.decode() for call in seen]
    assert len(journaled) == 2
    assert all(f"token {REDACTED} unknown" in body for body in journaled), journaled
    assert "ZGVmZ2hp" not in failed.error.message + "".join(journaled)
