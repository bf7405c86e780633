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
    TokenRefreshFailed,
    TokenValidationError,
    change_report,
    exchange_grant_code,
    power_state,
)
from localexa.skill.clock import utc_now
from localexa.skill.http import unsendable_url
from tests.unsendable_hosts import SENDABLE, UNSENDABLE


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


#: URLs httpx refuses for another reason than their host, or whose port no socket takes: httpx's
#: InvalidURL, a bare UnicodeEncodeError (a lone surrogate in the path) or, for a port past 65535,
#: the socket layer's OverflowError in an ExceptionGroup escaped the code exchange, the refresh
#: and the gateway's send as themselves (QA of the night of 2026-12-06).
NOT_URLS = [
    "http://[::1",  # an unclosed IPv6 bracket
    "http://user:s3cret@[::1",
    "http://[zz]",  # no IPv6 address
    "http://a:port",  # a port that is no number
    "http://a\x00",  # a NUL in the host
    "http://a\x01b",  # another control character
    "http://a\x7f",  # DEL
    "http://a/\nb",  # a control character in the path
    "http://a/\ud800",  # a lone surrogate, which no encoding takes
]
BAD_PORTS = [
    ("http://127.0.0.1:99999", 99999),
    ("http://a:65536", 65536),
    ("http://a:-1", -1),
    ("http://a:0", 0),
]


def _no_call(asked: list[httpx.Request]) -> httpx.MockTransport:
    def record(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(500)

    return httpx.MockTransport(record)


def _refused(url: str) -> str:
    """The kit's words for a URL it will not send (the server's and the introspection validator's)."""
    shown = repr(url.replace("user:s3cret@", "user:***@"))
    return f"{shown} is not a valid URL"


def _port_refused(url: str, port: int) -> str:
    """The server's words for such a port (server/core/http.py)."""
    return f"{url!r} names the port {port}, which is not 1-65535"


@pytest.mark.parametrize("url", NOT_URLS)
async def test_the_code_exchange_says_a_url_httpx_refuses_in_its_own_error(url: str) -> None:
    asked: list[httpx.Request] = []
    with pytest.raises(GrantExchangeError) as caught:
        await exchange_grant_code("code", "id", "secret", url, transport=_no_call(asked))
    assert caught.value.error == "server_error"
    assert caught.value.status is None
    assert str(caught.value) == f"server_error: LWA unreachable ({_refused(url + '/auth/o2/token')})"
    assert "s3cret" not in str(caught.value)
    assert asked == []


@pytest.mark.parametrize(("url", "port"), BAD_PORTS)
async def test_the_code_exchange_refuses_a_port_no_socket_takes(url: str, port: int) -> None:
    asked: list[httpx.Request] = []
    with pytest.raises(GrantExchangeError) as caught:
        await exchange_grant_code("code", "id", "secret", url, transport=_no_call(asked))
    token_url = url + "/auth/o2/token"
    assert str(caught.value) == f"server_error: LWA unreachable ({_port_refused(token_url, port)})"
    assert asked == []


async def test_a_port_past_65535_is_refused_without_a_transport() -> None:
    """With the kit's own transport the socket layer raised OverflowError inside an ExceptionGroup."""
    with pytest.raises(GrantExchangeError, match="names the port 99999, which is not 1-65535"):
        await exchange_grant_code("code", "id", "secret", "http://127.0.0.1:99999", timeout=2)


@pytest.mark.parametrize("url", NOT_URLS + [url for url, _ in BAD_PORTS])
async def test_the_event_gateway_says_a_url_httpx_refuses_in_its_own_error(url: str) -> None:
    asked: list[httpx.Request] = []
    tokens = GrantTokens("Atza|a", "Atzr|r", utc_now() + timedelta(hours=1))
    client = EventGatewayClient(tokens, "id", "secret", base_url=url, transport=_no_call(asked))
    with pytest.raises(EventGatewayError) as caught:
        await client.send(change_report("lamp", [power_state(True)]))
    assert caught.value.code == "UNREACHABLE"
    assert caught.value.status is None
    events_url = url + "/v3/events"
    port = dict(BAD_PORTS).get(url)
    reason = _refused(events_url) if port is None else _port_refused(events_url, port)
    assert str(caught.value) == f"UNREACHABLE: {reason}"
    assert asked == []


@pytest.mark.parametrize("url", NOT_URLS[:1] + NOT_URLS[-1:] + [BAD_PORTS[0][0]])
async def test_the_refresh_before_a_send_says_a_url_httpx_refuses_as_token_refresh_failed(url: str) -> None:
    """An expired token refreshes at `lwa_base_url` first: TokenRefreshFailed, the gateway untouched."""
    asked: list[httpx.Request] = []
    tokens = GrantTokens("Atza|a", "Atzr|r", utc_now() - timedelta(hours=1))
    client = EventGatewayClient(tokens, "id", "secret", lwa_base_url=url, transport=_no_call(asked))
    with pytest.raises(TokenRefreshFailed) as caught:
        await client.send(change_report("lamp", [power_state(True)]))
    assert caught.value.error == "server_error"
    assert "LWA unreachable (" in str(caught.value)
    assert asked == []


@pytest.mark.parametrize("url", ["http://a/\ud800/introspect", "http://127.0.0.1:99999/introspect"])
async def test_the_introspection_validator_refuses_a_surrogate_and_a_port_no_socket_takes(url: str) -> None:
    """A lone surrogate raised a bare UnicodeEncodeError out of `validate`; the port an ExceptionGroup."""
    asked: list[httpx.Request] = []
    validator = IntrospectionValidator(url, "rs", "secret", transport=_no_call(asked))
    with pytest.raises(TokenValidationError) as caught:
        await validator.validate("Atza|token")
    reason = _port_refused(url, 99999) if ":99999" in url else _refused(url)
    assert str(caught.value) == f"introspection failed: {reason}"
    assert asked == []


@pytest.mark.parametrize("url", SENDABLE)
def test_a_sendable_url_is_not_refused(url: str) -> None:
    assert unsendable_url(url) is None
