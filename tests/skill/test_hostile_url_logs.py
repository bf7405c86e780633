"""The kit's calls to LWA, the event gateway and an introspection endpoint whose URL holds a
password that parsers split elsewhere (tests/skill/hostile_urls.py), against a stub of Amazon on
127.0.0.1: no text of the password in any log record (the kit's, httpx's, httpcore's, at DEBUG),
exception message or repr. `http://me:pa#ss@127.0.0.1:18400` stood in clear in the kit's
AcceptGrant log line and GrantExchangeError's text (re-verification E1 of the night of
2026-12-06), and every password in the URL of a call that got an answer in httpx's INFO line
`HTTP Request: POST http://me:pw@…`."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

import pytest

from localexa.skill import (
    AcceptGrantHandler,
    CallableValidator,
    EventGatewayClient,
    GrantTokens,
    IntrospectionValidator,
    SkillHandler,
    TokenCheck,
    change_report,
    exchange_grant_code,
    power_state,
    refresh_grant_tokens,
)
from localexa.skill.clock import utc_now
from tests.skill.factories import accept_grant, payload
from tests.skill.hostile_urls import TEMPLATES, assert_hidden
from tests.skill.live import FakeAmazon


async def _failures(url: str, amazon: FakeAmazon) -> list[str]:
    """Each of the kit's calls to `url`, made to fail: the texts of what they raised."""
    expired = GrantTokens("Atza|old", "Atzr|old", utc_now() - timedelta(seconds=1))
    calls = [
        exchange_grant_code("good-code", amazon.client_id, "wrong-secret", url),
        refresh_grant_tokens(expired, amazon.client_id, "wrong-secret", url),
        EventGatewayClient(expired, amazon.client_id, "wrong-secret", base_url=url, lwa_base_url=url).send(
            change_report("lamp", [power_state(True)])
        ),
        EventGatewayClient(
            GrantTokens("Atza|dead", None, utc_now() + timedelta(hours=1)),
            amazon.client_id,
            "wrong-secret",
            base_url=url,
        ).send(change_report("lamp", [power_state(True)])),
        IntrospectionValidator(url, "rs", "wrong-secret", auth="basic").validate("t"),
        IntrospectionValidator(url, "rs", "wrong-secret", auth="body").validate("t"),
    ]
    texts = []
    for call in calls:
        try:
            texts.append(repr(await call))
        except Exception as error:  # each fails its own way: what matters is what it says
            texts += [str(error), repr(error)]
    return texts


@pytest.mark.parametrize("template", TEMPLATES)
async def test_no_password_text_in_logs_errors_or_reprs(
    template: str, amazon: FakeAmazon, caplog: pytest.LogCaptureFixture
) -> None:
    url = template.format(host=amazon.base_url.removeprefix("http://"))
    caplog.set_level(logging.DEBUG)  # every logger: the kit's, httpx's, httpcore's
    texts = await _failures(url, amazon)
    skill = SkillHandler(CallableValidator(lambda token: TokenCheck.valid_for("user-7")))
    handler = AcceptGrantHandler(
        amazon.client_id, "wrong-secret", lambda user, tokens: None, lwa_base_url=url
    )
    skill.add("Alexa.Authorization", "AcceptGrant", handler)
    answer = await skill.handle(accept_grant(code="good-code"))
    assert payload(answer)["type"] == "ACCEPT_GRANT_FAILED"
    assert any(r.name == "localexa.skill" and "AcceptGrant" in r.getMessage() for r in caplog.records)
    assert_hidden(*texts, repr(handler), caplog.text, *(record.getMessage() for record in caplog.records))


async def test_a_password_still_goes_out_as_basic_auth_not_in_the_logged_url(
    amazon: FakeAmazon, caplog: pytest.LogCaptureFixture
) -> None:
    """The kit takes the user info out of the URL it hands httpx, which logs it, and sends it as
    the same Authorization header httpx made of it."""
    caplog.set_level(logging.INFO, logger="httpx")
    url = amazon.base_url.replace("://", "://me:s%40krit@")
    tokens = await exchange_grant_code("good-code", amazon.client_id, amazon.client_secret, url)
    assert tokens.access_token in amazon.live_access
    sent = amazon.calls("/auth/o2/token")[0].headers["authorization"]
    assert sent == "Basic " + base64.b64encode(b"me:s@krit").decode()
    assert f"POST {amazon.base_url}/auth/o2/token" in caplog.text
    assert "krit" not in caplog.text
