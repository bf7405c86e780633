"""IntrospectionValidator (RFC 7662) against My Lights' real /introspect over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from localexa.samples.mylights import DeviceCloud
from localexa.skill import (
    IntrospectionValidator,
    Message,
    SkillHandler,
    SkillRequest,
    TokenStatus,
    TokenValidationError,
)
from localexa.skill.clock import Now, utc_now
from tests.skill.factories import directive
from tests.skill.live import free_port


def validator(
    base_url: str, secret: str = "mylights-secret", auth: Any = "basic", now: Now = utc_now
) -> IntrospectionValidator:
    return IntrospectionValidator(f"{base_url}/introspect", "alexa-skill", secret, auth=auth, now=now)


@pytest.mark.parametrize("auth", ["basic", "body"])
async def test_a_live_token_is_valid_and_names_its_user(mylights: str, cloud: DeviceCloud, auth: Any) -> None:
    pair = cloud.oauth.mint("demo")
    check = await validator(mylights, auth=auth).validate(pair.access_token)
    assert check.status is TokenStatus.VALID
    assert (check.subject, check.scopes, check.client_id) == ("demo", ("lights",), "alexa-skill")


async def test_an_expired_token_is_expired(mylights: str, cloud: DeviceCloud) -> None:
    pair = cloud.oauth.mint("demo")
    async with httpx.AsyncClient(auth=("alexa-skill", "mylights-secret")) as http:
        answer = await http.post(f"{mylights}/admin/expire", json={"token": pair.access_token})
    assert answer.json() == {"expired": 1}
    assert (await validator(mylights).validate(pair.access_token)).status is TokenStatus.EXPIRED


async def test_a_token_past_its_lifetime_is_expired(mylights: str, cloud: DeviceCloud) -> None:
    pair = cloud.oauth.mint("demo")
    cloud.advance_clock(3601)
    # The skill reads the cloud's (advanced) clock: an exp still ahead of the skill's clock would
    # mean a revoked token, INVALID.
    check = await validator(mylights, now=cloud.now).validate(pair.access_token)
    assert check.status is TokenStatus.EXPIRED


async def test_revoked_and_unknown_tokens_are_invalid(mylights: str, cloud: DeviceCloud) -> None:
    pair = cloud.oauth.mint("demo")
    assert cloud.oauth.revoke(user="demo") == 2
    assert (await validator(mylights).validate(pair.access_token)).status is TokenStatus.INVALID
    assert (await validator(mylights).validate("mla.never-issued")).status is TokenStatus.INVALID


async def test_wrong_resource_server_credentials_cannot_decide(mylights: str, cloud: DeviceCloud) -> None:
    with pytest.raises(TokenValidationError, match="401"):
        await validator(mylights, secret="wrong").validate(cloud.oauth.mint("demo").access_token)


async def test_an_unreachable_server_cannot_decide() -> None:
    with pytest.raises(TokenValidationError, match="ConnectError"):
        await validator(f"http://127.0.0.1:{free_port()}").validate("anything")


def _answering(body: Any, status: int = 200) -> IntrospectionValidator:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    return IntrospectionValidator("http://introspect.test/", "c", "s", transport=transport)


async def test_answers_other_servers_may_give() -> None:
    stale = await _answering({"active": True, "sub": "u", "exp": 1_000_000}).validate("t")
    assert stale.status is TokenStatus.EXPIRED  # active, but exp has passed: a cached answer
    fine = await _answering({"active": True, "username": "u2"}).validate("t")
    assert (fine.status, fine.subject) == (TokenStatus.VALID, "u2")
    for body in ({"active": "yes"}, ["active"], {"active": True}):
        with pytest.raises(TokenValidationError):
            await _answering(body).validate("t")


@contextmanager
def _introspection_server(answer: bytes) -> Iterator[str]:
    """A real server on 127.0.0.1 whose /introspect always answers `answer` (raw JSON text)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


# Past what a datetime holds (OverflowError, or ValueError for year 10000), and not a number.
NO_TIME = ["1e20", "-1e20", "1e300", "253402300800", "NaN"]


@pytest.mark.parametrize("exp", NO_TIME)
async def test_an_exp_that_is_no_time_cannot_decide(exp: str) -> None:
    """An introspection answer with such an `exp` is nonsense: TokenValidationError, not a crash."""
    answer = f'{{"active": true, "sub": "u", "exp": {exp}}}'.encode()
    with _introspection_server(answer) as url, pytest.raises(TokenValidationError, match="exp"):
        await validator(url).validate("t")


async def test_the_handler_answers_an_exp_that_is_no_time_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with _introspection_server(b'{"active": true, "sub": "u", "exp": 1e20}') as url:
        skill = SkillHandler(validator(url))

        @skill.on("Alexa.PowerController", "TurnOn")
        def turn_on(request: SkillRequest) -> Message:
            raise AssertionError("a token that could not be checked reached the route")

        answer = await skill.handle(directive("Alexa.PowerController", "TurnOn", token="t"))
    assert answer["event"]["payload"]["type"] == "INTERNAL_ERROR"
    assert [r.exc_info for r in caplog.records if r.exc_info] == []  # a warning, not a stack trace
    assert any("exp that is no time" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (b'{"active": true, "sub": "u", "client_id": "alexa-skill"}', TokenStatus.VALID),
        (b'{"active": true, "sub": "u", "aud": ["other", "alexa-skill"]}', TokenStatus.VALID),
        (b'{"active": true, "sub": "u", "client_id": "other-app"}', TokenStatus.INVALID),
        (b'{"active": true, "sub": "u", "aud": "someone-else"}', TokenStatus.INVALID),
        (b'{"active": true, "sub": "u"}', TokenStatus.INVALID),
    ],
)
async def test_issued_to_refuses_a_token_of_another_client(answer: bytes, status: TokenStatus) -> None:
    """Without `issued_to` a token your server issued to another app passed as an Alexa link
    (QA of 2026-12-05); with it, the answer must name that client (`client_id` or `aud`)."""
    with _introspection_server(answer) as base_url:
        strict = IntrospectionValidator(f"{base_url}/introspect", "rs", "secret", issued_to="alexa-skill")
        assert (await strict.validate("t")).status is status
        lenient = IntrospectionValidator(f"{base_url}/introspect", "rs", "secret")
        assert (await lenient.validate("t")).status is TokenStatus.VALID


async def test_issued_to_goes_by_client_id_before_aud() -> None:
    """`client_id` names the token's client; `aud` counts only without it (a token of another
    client listing ours among its audiences passed; re-verification of 2026-12-05)."""
    with _introspection_server(
        b'{"active": true, "sub": "u", "client_id": "other", "aud": "alexa-skill"}'
    ) as url:
        strict = IntrospectionValidator(f"{url}/introspect", "rs", "secret", issued_to="alexa-skill")
        assert (await strict.validate("t")).status is TokenStatus.INVALID
