"""AcceptGrant's LWA exchange and the event gateway client, against a stub of Amazon on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from localexa.skill import (
    AcceptGrantHandler,
    CallableValidator,
    EventGatewayClient,
    EventGatewayError,
    GrantExchangeError,
    GrantTokens,
    SkillHandler,
    TokenCheck,
    change_report,
    exchange_grant_code,
    power_state,
    validate_event,
)
from localexa.skill.clock import utc_now
from tests.skill.factories import accept_grant, header, payload
from tests.skill.live import FakeAmazon, free_port


async def test_exchange_posts_the_code_without_redirect_uri(amazon: FakeAmazon) -> None:
    tokens = await exchange_grant_code("good-code", amazon.client_id, amazon.client_secret, amazon.base_url)
    assert tokens.access_token in amazon.live_access
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.startswith("Atzr|")
    assert timedelta(minutes=59) < tokens.expires_at - utc_now() <= timedelta(hours=1)
    assert amazon.calls("/auth/o2/token")[0].form() == {
        "grant_type": "authorization_code",
        "code": "good-code",
        "client_id": amazon.client_id,
        "client_secret": amazon.client_secret,
    }
    assert tokens.access_token not in repr(tokens)


async def test_exchange_failures(amazon: FakeAmazon) -> None:
    with pytest.raises(GrantExchangeError) as refused:
        await exchange_grant_code("used-or-made-up", amazon.client_id, amazon.client_secret, amazon.base_url)
    assert (refused.value.error, refused.value.status) == ("invalid_grant", 400)
    with pytest.raises(GrantExchangeError) as wrong_client:
        await exchange_grant_code("good-code", amazon.client_id, "wrong", amazon.base_url)
    assert (wrong_client.value.error, wrong_client.value.status) == ("invalid_client", 401)
    with pytest.raises(GrantExchangeError) as unreachable:
        await exchange_grant_code("good-code", "c", "s", f"http://127.0.0.1:{free_port()}")
    assert unreachable.value.error == "server_error"


async def _gateway(
    amazon: FakeAmazon, expires_at: datetime | None = None
) -> tuple[EventGatewayClient, list[GrantTokens]]:
    tokens = await exchange_grant_code("good-code", amazon.client_id, amazon.client_secret, amazon.base_url)
    saved: list[GrantTokens] = []
    client = EventGatewayClient(
        replace(tokens, expires_at=expires_at) if expires_at else tokens,
        amazon.client_id,
        amazon.client_secret,
        base_url=amazon.base_url,
        lwa_base_url=amazon.base_url,
        on_refresh=saved.append,
    )
    return client, saved


async def test_send_puts_the_token_in_header_and_scope(amazon: FakeAmazon) -> None:
    client, saved = await _gateway(amazon)
    receipt = await client.send(change_report("lamp", [power_state(True)]))
    assert receipt.status == 202
    sent = amazon.calls("/v3/events")[0]
    token = client.tokens.access_token
    assert sent.headers["authorization"] == f"Bearer {token}"
    assert sent.json()["event"]["endpoint"]["scope"] == {"type": "BearerToken", "token": token}
    assert validate_event(sent.json()).ok
    assert saved == []


async def test_an_expired_token_is_refreshed_before_sending(amazon: FakeAmazon) -> None:
    client, saved = await _gateway(amazon, expires_at=utc_now() - timedelta(seconds=1))
    old = client.tokens.access_token
    await client.send(change_report("lamp", [power_state(False)]))
    grants = [c.form()["grant_type"] for c in amazon.calls("/auth/o2/token")]
    assert grants == ["authorization_code", "refresh_token"]
    assert saved == [client.tokens]
    assert client.tokens.access_token != old
    assert client.tokens.refresh_token is not None  # kept though LWA sent none back


async def test_a_401_refreshes_once_and_retries(amazon: FakeAmazon) -> None:
    client, saved = await _gateway(amazon)
    amazon.live_access.clear()  # Amazon forgot the token early
    receipt = await client.send(change_report("lamp", [power_state(False)]))
    assert receipt.status == 202
    assert len(amazon.calls("/v3/events")) == 2
    assert len(saved) == 1


async def test_gateway_errors_carry_the_code(amazon: FakeAmazon) -> None:
    client, _ = await _gateway(amazon)
    amazon.gateway_status = 403
    with pytest.raises(EventGatewayError) as refused:
        await client.send(change_report("lamp", [power_state(False)]))
    assert (refused.value.status, refused.value.code) == (403, "SKILL_DISABLED_EXCEPTION")


async def test_accept_grant_handler_exchanges_and_saves(amazon: FakeAmazon) -> None:
    saved: dict[str, GrantTokens] = {}
    skill = SkillHandler(CallableValidator(lambda token: TokenCheck.valid_for("user-7")))
    skill.add(
        "Alexa.Authorization",
        "AcceptGrant",
        AcceptGrantHandler(
            amazon.client_id, amazon.client_secret, saved.__setitem__, lwa_base_url=amazon.base_url
        ),
    )
    answer = await skill.handle(accept_grant(code="good-code"))
    assert header(answer)["name"] == "AcceptGrant.Response"
    assert saved["user-7"].access_token in amazon.live_access
    again = await skill.handle(accept_grant(code="good-code"))  # the code was used up
    assert payload(again)["type"] == "ACCEPT_GRANT_FAILED"
