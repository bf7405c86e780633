"""The skill kit refuses an LWA, event-gateway or introspection URL whose host no client can send before any
connection, in the server's and the client's words, as the errors it raises for no answer
(README "skill kit"): `exchange_grant_code(..., "http://xn--")` raised idna's raw IDNAError, and
`http://a..b` said only "LWA unreachable (ConnectError)" (revB QA of 2026-12-06)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from localexa.skill import (
    EventGatewayClient,
    EventGatewayError,
    GrantExchangeError,
    GrantTokens,
    IntrospectionValidator,
    TokenValidationError,
    change_report,
    exchange_grant_code,
    power_state,
)
from localexa.skill.clock import utc_now
from tests.unsendable_hosts import UNSENDABLE


@pytest.mark.parametrize(("url", "why"), UNSENDABLE)
async def test_the_code_exchange_refuses_the_url(url: str, why: str) -> None:
    with pytest.raises(GrantExchangeError) as caught:
        await exchange_grant_code("code", "id", "secret", url)
    token_url = url.rstrip("/") + "/auth/o2/token"
    assert caught.value.error == "server_error"
    assert str(caught.value) == f"server_error: LWA unreachable ({token_url!r} is not a valid URL: {why})"


@pytest.mark.parametrize(("url", "why"), UNSENDABLE[:1] + UNSENDABLE[5:6])
async def test_the_event_gateway_refuses_the_url(url: str, why: str) -> None:
    tokens = GrantTokens("Atza|a", "Atzr|r", utc_now() + timedelta(hours=1))
    client = EventGatewayClient(tokens, "id", "secret", base_url=url.rstrip("/"))
    with pytest.raises(EventGatewayError) as caught:
        await client.send(change_report("lamp", [power_state(True)]))
    assert caught.value.code == "UNREACHABLE"
    assert f"is not a valid URL: {why}" in str(caught.value)


async def test_the_password_is_not_shown() -> None:
    with pytest.raises(GrantExchangeError) as caught:
        await exchange_grant_code("code", "id", "secret", "http://me:s3cret@a.xn--")
    assert "s3cret" not in str(caught.value)
    assert "'http://me:***@a.xn--/auth/o2/token'" in str(caught.value)


@pytest.mark.parametrize(("url", "why"), UNSENDABLE)
async def test_the_introspection_validator_refuses_the_url(url: str, why: str) -> None:
    """Before any connection, as the kit's LWA and gateway calls do (it took the URL to httpx:
    idna's IDNAError, a bare UnicodeError or DNS)."""
    asked: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json={"active": True, "sub": "u"})

    introspect = url.rstrip("/") + "/introspect"
    validator = IntrospectionValidator(introspect, "rs", "secret", transport=httpx.MockTransport(record))
    with pytest.raises(TokenValidationError) as caught:
        await validator.validate("Atza|token")
    assert str(caught.value) == f"introspection failed: {introspect!r} is not a valid URL: {why}"
    assert asked == []


async def test_the_introspection_validator_does_not_show_the_password() -> None:
    validator = IntrospectionValidator("http://me:s3cret@a.xn--/introspect", "rs", "secret")
    with pytest.raises(TokenValidationError) as caught:
        await validator.validate("Atza|token")
    assert "s3cret" not in str(caught.value)
    assert "'http://me:***@a.xn--/introspect'" in str(caught.value)


@pytest.mark.parametrize("url", ["http://[::1/introspect", "http://a\x00/introspect"])
async def test_the_introspection_validator_says_a_url_httpx_refuses_in_its_own_error(url: str) -> None:
    """httpx's InvalidURL (a bad port, a NUL) is no HTTPError: it escaped the validator as itself."""
    with pytest.raises(TokenValidationError) as caught:
        await IntrospectionValidator(url, "rs", "secret").validate("Atza|token")
    assert str(caught.value) == f"introspection failed: {url!r} is not a valid URL"
