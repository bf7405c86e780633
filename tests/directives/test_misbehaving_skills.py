"""A skill endpoint that breaks HTTP, or answers JSON of any shape: localexa records a clean error.

The transport cases talk to raw servers on 127.0.0.1 (tests/misbehaving_servers.py) through the
real invoker with a short deadline; the JSON shapes go through the whole admin API (a linked
customer, `POST /_localexa/directives`), where every answer must be 200 with the directive's
recorded error or a verdict, never a 5xx, and the exchange must be stored.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from localexa.server.core.http import OutboundHttp
from localexa.server.core.tls import ensure_server_certificate
from localexa.server.directives.invoker import InvocationErrorKind, SkillInvoker
from localexa.server.directives.lambda_pool import LambdaPool
from localexa.server.settings import Settings
from tests.directives.conftest import endpoints_after_link, send
from tests.factories import Admin
from tests.misbehaving_servers import (
    MisbehavingServer,
    Script,
    Switch,
    answer,
    chunked,
    cut_mid_body,
    lying_length,
    misbehaving_server,
    raw,
    reset_after,
    silent,
    trickle,
)
from tests.property import SCALE, json_scalars, json_values


@pytest.fixture
def backend() -> str:
    """An endpoint's broken HTTP or odd JSON is judged before anything is stored, the same on both
    databases; conftest's `backend` would run each case on PostgreSQL too: SQLite only, for CI's
    time."""
    return "sqlite"


#: The deadline the transport cases give the invoker: long enough for a loopback answer on a
#: loaded machine (0.5 s made a link in CI fail once: a garbage collection, say, mid-exchange).
DEADLINE = 1.5
#: What a case may take beyond the deadline (the machine is shared).
SLACK = 1.5
SECRET_TOKEN = "skill-token-0123456789"
MESSAGE = {
    "directive": {
        "header": {"namespace": "Alexa", "name": "ReportState", "correlationToken": "c-1"},
        "endpoint": {"endpointId": "e-1", "scope": {"type": "BearerToken", "token": SECRET_TOKEN}},
        "payload": {},
    }
}
OK = b'{"event": {"header": {"name": "Response"}}}'

TRANSPORT_CASES = [
    pytest.param(silent(), InvocationErrorKind.TIMEOUT, id="never-answers"),
    pytest.param(trickle(), InvocationErrorKind.TIMEOUT, id="trickles-for-ever"),
    pytest.param(cut_mid_body(), InvocationErrorKind.UNREACHABLE, id="closed-mid-body"),
    pytest.param(lying_length(OK, len(OK) + 50), InvocationErrorKind.UNREACHABLE, id="length-too-long"),
    pytest.param(chunked(b"zz\r\n{}\r\n0\r\n\r\n"), InvocationErrorKind.UNREACHABLE, id="chunk-size-not-hex"),
    pytest.param(chunked(b"10\r\n{}"), InvocationErrorKind.UNREACHABLE, id="chunk-cut-short"),
    pytest.param(raw(b"HELLO\r\n\r\n"), InvocationErrorKind.UNREACHABLE, id="not-http"),
    pytest.param(raw(b""), InvocationErrorKind.UNREACHABLE, id="closes-at-once"),
    pytest.param(
        answer(200, b"<html>hi</html>", content_type="text/html"), InvocationErrorKind.INVALID_JSON, id="html"
    ),
    pytest.param(answer(200, b"[1, 2]"), InvocationErrorKind.INVALID_JSON, id="a-list"),
    pytest.param(answer(200, b'{"a": NaN}'), InvocationErrorKind.INVALID_JSON, id="nan"),
    pytest.param(answer(200, b'{"a": "\\ud800"}'), InvocationErrorKind.INVALID_JSON, id="lone-surrogate"),
    pytest.param(answer(200, b"[" * 100_000), InvocationErrorKind.INVALID_JSON, id="deep-unclosed"),
    pytest.param(answer(200, b"[" * 50_000 + b"]" * 50_000), InvocationErrorKind.INVALID_JSON, id="deep"),
    pytest.param(
        answer(302, b"", headers={"Location": "http://127.0.0.1:9/elsewhere"}),
        InvocationErrorKind.HTTP_STATUS,
        id="redirect-elsewhere",
    ),
    pytest.param(
        answer(307, b"", headers={"Location": "/skill"}), InvocationErrorKind.HTTP_STATUS, id="redirect-loop"
    ),
    pytest.param(
        answer(500, f"boom {SECRET_TOKEN}\x00\x1b[31m"), InvocationErrorKind.HTTP_STATUS, id="500-echo"
    ),
    pytest.param(answer(204, OK), InvocationErrorKind.INVALID_JSON, id="204-with-body"),
    pytest.param(
        raw(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" + OK),
        InvocationErrorKind.UNREACHABLE,
        id="101-switching",
    ),
    pytest.param(
        raw(b"HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\n{}"), InvocationErrorKind.HTTP_STATUS, id="999"
    ),
    pytest.param(raw(b"HTTP/1.1 abc Odd\r\n\r\n"), InvocationErrorKind.UNREACHABLE, id="status-not-a-number"),
    pytest.param(
        raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
        InvocationErrorKind.UNREACHABLE,
        id="two-lengths",
    ),
    pytest.param(
        raw(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}"),
        InvocationErrorKind.UNREACHABLE,
        id="gzip-that-is-not",
    ),
]

GOOD_TRANSPORT_CASES = [
    pytest.param(
        raw(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + OK), id="http-1.0-no-length"
    ),
    pytest.param(chunked(b"%x\r\n" % len(OK) + OK + b"\r\n0\r\n\r\n"), id="chunked"),
    pytest.param(
        raw(
            b"HTTP/1.1 100 Continue\r\n\r\n" + b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(OK) + OK
        ),
        id="100-continue-first",
    ),
    pytest.param(
        raw(
            b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
            + b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(OK)
            + OK
        ),
        id="103-early-hints-first",
    ),
    pytest.param(answer(200, OK, content_type="text/plain"), id="wrong-content-type"),
    pytest.param(lying_length(OK + b"  trailing", len(OK)), id="length-too-short"),
]


@pytest.fixture
async def invoker() -> AsyncIterator[SkillInvoker]:
    outbound, lambdas = OutboundHttp(), LambdaPool()
    yield SkillInvoker(outbound, lambdas, timeout=DEADLINE)
    await outbound.aclose()
    await lambdas.aclose()


async def _health_while(client: httpx.AsyncClient, pending: asyncio.Task[Any]) -> None:
    """localexa keeps answering while a skill misbehaves."""
    answer = await client.get("/_localexa/health")
    assert answer.status_code == 200
    assert not pending.done() or pending.exception() is None


@pytest.mark.parametrize(("script", "kind"), TRANSPORT_CASES)
async def test_a_broken_transport_is_a_clean_error_within_the_deadline(
    invoker: SkillInvoker, script: Script, kind: InvocationErrorKind
) -> None:
    async with misbehaving_server({"/skill": script}) as server:
        started = time.monotonic()
        invocation = await invoker.invoke(server.url("/skill"), MESSAGE)
        took = time.monotonic() - started

    assert invocation.answer is None
    assert invocation.error is not None
    assert invocation.error.kind == kind, invocation.error
    assert took < DEADLINE + SLACK
    assert SECRET_TOKEN not in invocation.error.message
    assert invocation.error.message.isprintable(), invocation.error.message


@pytest.mark.parametrize(
    ("script", "said"),
    [
        pytest.param(raw(b""), "closed the connection without answering", id="read-then-hung-up"),
        pytest.param(cut_mid_body(), "closed the connection before its answer was complete", id="mid-body"),
        pytest.param(raw(b"HELLO\r\n\r\n"), "did not answer in valid HTTP", id="not-http"),
        # A reset: before any answer, and (since 2026-12-06) after a 200 and part of the body,
        # which was said to come "before answering".
        pytest.param(reset_after(b""), "broke the connection off before answering", id="reset"),
        pytest.param(
            reset_after(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"event":'),
            "broke the connection off after answering 200, before its answer was complete",
            id="reset-mid-body",
        ),
    ],
)
async def test_a_skill_that_hangs_up_is_not_called_unreachable(
    invoker: SkillInvoker, script: Script, said: str
) -> None:
    """It read the request, then closed the connection: "could not be reached (RemoteProtocolError)"
    sent developers looking for a network problem (QA of 2026-12-06)."""
    async with misbehaving_server({"/skill": script}) as server:
        invocation = await invoker.invoke(server.url("/skill"), MESSAGE)
    assert invocation.error is not None
    assert said in invocation.error.message, invocation.error.message
    assert "could not be reached" not in invocation.error.message


@pytest.mark.parametrize("script", GOOD_TRANSPORT_CASES)
async def test_an_odd_but_readable_answer_is_read(invoker: SkillInvoker, script: Script) -> None:
    async with misbehaving_server({"/skill": script}) as server:
        invocation = await invoker.invoke(server.url("/skill"), MESSAGE)

    assert invocation.error is None, invocation.error
    assert invocation.answer == json.loads(OK)


async def test_tls_and_plain_mixed_up_are_unreachable(invoker: SkillInvoker, tmp_path: Path) -> None:
    async with misbehaving_server({"/skill": answer(200, OK)}) as plain:
        https_to_plain = await invoker.invoke(plain.url("/skill").replace("http:", "https:"), MESSAGE)
    async with misbehaving_server({"/skill": answer(200, OK)}, tls=_self_signed(tmp_path)) as secure:
        http_to_tls = await invoker.invoke(secure.url("/skill").replace("https:", "http:"), MESSAGE)
        untrusted = await invoker.invoke(secure.url("/skill"), MESSAGE)

    # A plain server waits for a request line that the TLS handshake never sends: no answer.
    assert https_to_plain.error is not None
    assert https_to_plain.error.kind == InvocationErrorKind.TIMEOUT, https_to_plain.error
    for invocation in (http_to_tls, untrusted):
        assert invocation.error is not None
        assert invocation.error.kind == InvocationErrorKind.UNREACHABLE, invocation.error


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    paths = ensure_server_certificate(tmp_path / "tls")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(paths.cert_file, paths.key_file)
    return context


# -- through the admin API -----------------------------------------------------------------------------


@dataclass
class LinkedSkill:
    server: MisbehavingServer
    switch: Switch
    user_id: str
    skill_id: str

    def directive(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "skillId": self.skill_id,
            "endpointId": "light-1",
            "namespace": "Alexa",
            "name": "ReportState",
        }


LINKED_TOKEN = "linked-access-token-0123456789"
TOKEN_ANSWER = {
    "access_token": LINKED_TOKEN,
    "refresh_token": "linked-refresh-0123456789",
    "expires_in": 3600,
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"directive_timeout": DEADLINE, "token_exchange_timeout": DEADLINE})


async def link_to(
    admin: Admin,
    client: httpx.AsyncClient,
    server: MisbehavingServer,
    switch: Switch,
    *,
    endpoint: str | None = None,
) -> LinkedSkill:
    skill = await admin.skill(
        endpoint=endpoint or server.url("/skill"),
        permissions=[],
        account_linking={
            "type": "AUTH_CODE",
            "authorizationUrl": "https://skill.example.com/authorize",
            "accessTokenUrl": server.url("/token"),
            "clientId": "alexa-skill",
            "clientSecret": "client-secret-0123456789",
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["lights"],
            "redirectUrls": ["https://app.example.com/alexa"],
        },
    )
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, ["alexa::skills:account_linking"])
    linked = await client.post(
        f"/v1/users/~current/skills/{skill.skill_id}/enablement",
        json={
            "stage": "development",
            "accountLinkRequest": {
                "redirectUri": "https://app.example.com/alexa",
                "authCode": "code-1",
                "type": "AUTH_CODE",
            },
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert linked.status_code == 201, linked.text
    return LinkedSkill(server, switch, customer.user_id, skill.skill_id)


@pytest.fixture
async def linked(admin: Admin, client: httpx.AsyncClient) -> AsyncIterator[LinkedSkill]:
    switch = Switch(answer(200, {}))
    async with misbehaving_server({"/skill": switch, "/token": answer(200, TOKEN_ANSWER)}) as server:
        skill = await link_to(admin, client, server, switch)
        await endpoints_after_link(admin, _AsLinked(skill))  # its Discover, out of the way
        yield skill


async def _stored_answers(admin: Admin, linked: LinkedSkill) -> list[dict[str, Any]]:
    listed = await admin.client.get(
        f"/_localexa/customers/{linked.user_id}/skills/{linked.skill_id}/messages", headers=admin.headers
    )
    assert listed.status_code == 200, listed.text
    return [m for m in listed.json()["messages"] if m["direction"] == "response"]


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        pytest.param(trickle(), "TIMEOUT", id="trickles"),
        pytest.param(cut_mid_body(), "UNREACHABLE", id="closed-mid-body"),
        pytest.param(answer(500, f"token {LINKED_TOKEN}\x00"), "HTTP_STATUS", id="500-with-nul"),
    ],
)
async def test_the_admin_api_records_a_transport_failure(
    admin: Admin, client: httpx.AsyncClient, linked: LinkedSkill, script: Script, kind: str
) -> None:
    linked.switch.script = script
    pending = asyncio.create_task(send(admin, linked.directive()))
    await _health_while(client, pending)
    answered = await pending

    assert answered.status_code == 200, answered.text
    assert answered.json()["error"]["type"] == kind
    assert LINKED_TOKEN not in answered.text
    stored = await _stored_answers(admin, linked)
    assert stored[0]["error"]["type"] == kind


JSON_SCALARS = json_scalars(text_size=20)
JSON_VALUES = json_values(JSON_SCALARS, width=4, key_size=8, leaves=12)
ENVELOPE_KEYS = st.sampled_from(
    ["event", "context", "header", "payload", "endpoint", "name", "namespace", "properties"]
)
#: Answers shaped like an Alexa answer, with any value in any place.
ALEXA_SHAPED = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ENVELOPE_KEYS, inner, max_size=4),
    max_leaves=10,
)
ODD_TEXTS = st.sampled_from(
    [
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": -Infinity}',
        '{"a": 1e400}',
        '{"a": 1, "a": 2}',
        '{"event": "\\ud800"}',
        '{"event": "\\udc00\\ud800"}',
        '{"event": "\\u0000"}',
        '{"event": {"header": {"name": "\\u0000", "namespace": "A\\u0000"}}}',
        '{"event": {"header": {"name": "ErrorResponse"}, '
        '"payload": {"type": "\\u0000", "message": "\\u0000"}}}',
        "[" * 3000 + "]" * 3000,
        '{"x": "' + "y" * 200_000 + '"}',
        "\ufeff{}",
        "",
        "null",
        "1",
    ]
)


@hypothesis_settings(
    max_examples=30 * SCALE,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.one_of(ODD_TEXTS, ALEXA_SHAPED.map(json.dumps), JSON_VALUES.map(json.dumps)))
async def test_any_json_shape_is_recorded_without_a_server_error(
    admin: Admin, linked: LinkedSkill, body: str
) -> None:
    linked.switch.script = answer(200, body)
    answered = await send(admin, linked.directive())

    assert answered.status_code == 200, (body[:200], answered.text[:500])
    result = answered.json()
    assert (result["error"] is None) != (result["response"] is None), result
    assert result["verdict"]["valid"] in (True, False)
    stored = await _stored_answers(admin, linked)
    assert stored[0]["exchangeId"] == result["exchangeId"]


@pytest.mark.parametrize(
    "discover_answer",
    [
        pytest.param({"event": []}, id="event-a-list"),
        pytest.param({"event": "hello"}, id="event-a-string"),
        pytest.param(
            {
                "event": {
                    "header": {
                        "namespace": "Alexa",
                        "name": "ErrorResponse",
                        "payloadVersion": "3",
                        "messageId": "8f0a1b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c",
                    },
                    "payload": {"type": "INTERNAL_ERROR", "message": "the cloud\x00 is down"},
                }
            },
            id="error-response-with-nul",
        ),
    ],
)
async def test_after_link_keeps_a_clean_failure_for_an_odd_discover_answer(
    admin: Admin, client: httpx.AsyncClient, discover_answer: dict[str, Any]
) -> None:
    switch = Switch(answer(200, discover_answer))
    async with misbehaving_server({"/skill": switch, "/token": answer(200, TOKEN_ANSWER)}) as server:
        linked = await link_to(admin, client, server, switch)
        view = await endpoints_after_link(admin, _AsLinked(linked))

    assert view["discovery"]["status"] == "FAILED", view
    reason = view["discovery"]["message"]
    assert "internal error" not in reason, view
    assert reason.isprintable(), reason


@dataclass
class _AsLinked:
    linked: LinkedSkill

    def path(self, tail: str) -> str:
        return f"/_localexa/customers/{self.linked.user_id}/skills/{self.linked.skill_id}/{tail}"


@pytest.mark.parametrize("depth", [99, 500, 900, 990])
async def test_a_deeply_nested_answer_is_invalid_json_not_a_server_error(
    admin: Admin, linked: LinkedSkill, depth: int
) -> None:
    body = '{"event": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    linked.switch.script = answer(200, body)
    answered = await send(admin, linked.directive())

    assert answered.status_code == 200, answered.text
    error = answered.json()["error"]
    if depth < 100:
        assert error is None
    else:
        assert error["type"] == "INVALID_JSON"


# -- Lambda-style handlers that misbehave --------------------------------------------------------------

HANDLERS = "python:tests.misbehaving_servers"


@pytest.fixture
async def lambda_invoker() -> AsyncIterator[SkillInvoker]:
    outbound, lambdas = OutboundHttp(), LambdaPool()
    # A cold worker imports the handler first: more than the HTTP cases' deadline on a busy machine.
    yield SkillInvoker(outbound, lambdas, timeout=5.0)
    await outbound.aclose()
    await lambdas.aclose()


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        pytest.param("raise_unprintable", InvocationErrorKind.HANDLER_ERROR, id="raises-unprintable"),
        pytest.param("return_lone_surrogate", InvocationErrorKind.INVALID_JSON, id="lone-surrogate"),
        pytest.param("return_deep", InvocationErrorKind.INVALID_JSON, id="nested-900-deep"),
        pytest.param("return_set", InvocationErrorKind.HANDLER_ERROR, id="not-json-able"),
        pytest.param("exit_politely", InvocationErrorKind.PROCESS_CRASHED, id="sys-exit"),
        pytest.param("interrupt", InvocationErrorKind.PROCESS_CRASHED, id="keyboard-interrupt"),
    ],
)
async def test_a_misbehaving_handler_is_a_clean_error(
    lambda_invoker: SkillInvoker, handler: str, kind: InvocationErrorKind
) -> None:
    invocation = await lambda_invoker.invoke(f"{HANDLERS}:{handler}", MESSAGE)

    assert invocation.error is not None, invocation.answer
    assert invocation.error.kind == kind, invocation.error
    assert invocation.error.message.isprintable(), invocation.error.message
    assert SECRET_TOKEN not in invocation.error.message
    assert SECRET_TOKEN not in invocation.logs


async def test_a_handler_printing_megabytes_still_answers(lambda_invoker: SkillInvoker) -> None:
    invocation = await lambda_invoker.invoke(f"{HANDLERS}:print_a_lot", MESSAGE)

    assert invocation.error is None, invocation.error
    assert invocation.answer == {"event": {"header": {"name": "Response"}}}
    assert len(invocation.logs) <= 64 * 1024


@pytest.mark.parametrize(
    ("handler", "depth"),
    [
        pytest.param("raise_unprintable", 0, id="raises-unprintable"),
        pytest.param("return_lone_surrogate", 0, id="lone-surrogate"),
        pytest.param("return_deep", 900, id="nested-900-deep"),
        # Deep enough that the server, some frames down already, cannot even decode it.
        pytest.param("return_deep", 960, id="nested-960-deep"),
    ],
)
async def test_the_admin_api_records_a_misbehaving_handler(
    admin: Admin, client: httpx.AsyncClient, settings: Settings, handler: str, depth: int
) -> None:
    switch = Switch(answer(200, {}))
    async with misbehaving_server({"/token": answer(200, TOKEN_ANSWER)}) as server:
        linked = await link_to(admin, client, server, switch, endpoint=f"{HANDLERS}:{handler}")
        await endpoints_after_link(admin, _AsLinked(linked))
        answered = await send(admin, {**linked.directive(), "payload": {"depth": depth}})

    assert answered.status_code == 200, answered.text
    assert answered.json()["error"]["type"] in ("HANDLER_ERROR", "INVALID_JSON")
    assert LINKED_TOKEN not in answered.text
    stored = await _stored_answers(admin, linked)
    assert stored[0]["exchangeId"] == answered.json()["exchangeId"]


async def test_an_answer_whose_header_holds_a_nul_is_recorded(admin: Admin, linked: LinkedSkill) -> None:
    # PostgreSQL stores no NUL in a text column: the header's name and namespace are columns.
    linked.switch.script = answer(
        200, '{"event": {"header": {"namespace": "Alexa\\u0000", "name": "Response\\u0000"}}}'
    )

    answered = await send(admin, linked.directive())

    assert answered.status_code == 200, answered.text
    assert answered.json()["verdict"]["valid"] is False
    stored = await _stored_answers(admin, linked)
    assert stored[0]["exchangeId"] == answered.json()["exchangeId"]
    assert stored[0]["name"] == "Response\\x00"
