"""Errors a demanding user logs: every APIError answers `status_code`, `code`, `message` and
`request_id` (None when no response came); a redirect is an error, not a success; and no secret
(client secret, refresh or access token, admin key, a password in a URL) reaches the text of an
error, its traceback, or a repr, whatever the server or the caller's own input looks like.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import pytest

from localexa.client import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    Client,
    ConfigurationError,
    Endpoints,
    LwaTokenAuth,
    NotFoundError,
)
from tests.client.contract import developer
from tests.client.live_helpers import closed_port, live, mode, ok, on_client
from tests.misbehaving_servers import answer, misbehaving_server, silent

__all__ = ["live", "mode"]

SKILL = "amzn1.ask.skill.s"
CREDENTIALS = f"/v1/skills/{SKILL}/credentials"
SECRET = "s3cr3t-f00d"
UNUSED_TOKEN_URL = "http://127.0.0.1:9/auth/o2/token"


def everything_said(error: BaseException) -> str:
    """All a log could show of `error`: its text, its repr and its whole traceback with causes."""
    return "\n".join([str(error), repr(error), *traceback.format_exception(error)])


# -- every APIError has the same attributes -------------------------------------------------------


async def test_every_api_error_answers_status_code_code_and_request_id(mode: str) -> None:
    """`except APIError as e: log(e.status_code, e.code, e.request_id)` must work for every
    error, those that came without a response (refused, timed out) included."""
    caught: list[APIError] = []

    async def collect(url: str, call: Callable[[Any], Any], **options: Any) -> None:
        with pytest.raises(APIError) as info:
            await on_client(mode, url, call, max_retries=0, **options)
        caught.append(info.value)

    slow = "amzn1.ask.skill.slow"
    missing = answer(
        404,
        {"code": "NOT_FOUND", "message": "No such customer."},
        headers={"X-Amzn-RequestId": "amzn1.request.1"},
    )
    scripts = {
        f"/v1/skills/{slow}/credentials": silent(),
        CREDENTIALS: ok({"skillMessagingCredentials": {"clientId": "c"}}),
        "/_localexa/customers/nobody": missing,
    }
    await collect(f"http://127.0.0.1:{closed_port()}", lambda c: c.credentials.get(SKILL), auth="t")
    async with misbehaving_server(scripts) as server:
        await collect(server.base_url, lambda c: c.credentials.get(slow), auth="t", timeout=0.2)
        await collect(server.base_url, lambda c: c.credentials.get(SKILL), auth="t")
        await collect(server.base_url, lambda c: c.admin.customers.get("nobody"))

    assert [type(e) for e in caught] == [
        APIConnectionError,
        APITimeoutError,
        APIResponseValidationError,
        NotFoundError,
    ]
    seen = [(e.status_code, e.code, e.request_id is not None) for e in caught]
    assert seen == [(None, None, False), (None, None, False), (200, None, False), (404, "NOT_FOUND", True)]
    assert all(e.message for e in caught)


# -- a redirect is not a success ------------------------------------------------------------------


def redirect(status: int, location: str) -> Any:
    return answer(status, b"", content_type="text/html", headers={"Location": location})


@pytest.mark.parametrize(
    ("path", "call"),
    [
        pytest.param(
            f"/v1/skills/{SKILL}/stages/development/enablement",
            lambda c: c.enablement.enable(SKILL),
            id="enable-skill",
        ),
        pytest.param("/v3/events", lambda c: c.events.send({"event": {}}, token="Atza|t"), id="send-event"),
        pytest.param("/_localexa/faults/f-1", lambda c: c.admin.faults.delete("f-1"), id="delete-fault"),
    ],
)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_an_error_not_a_success(
    path: str, call: Callable[[Any], Any], status: int, mode: str, sleeps: list[float]
) -> None:
    """An http:// URL a proxy sends on to https://: the call did nothing, so it must not return
    as though it had (enable, send and delete read no body, and returned None)."""
    target = f"https://api.amazonalexa.com{path}?access_token=Atza%7C{SECRET}"
    async with misbehaving_server({path: redirect(status, target)}) as server:
        with pytest.raises(APIStatusError) as caught:
            await on_client(mode, server.base_url, call, auth="Atza|d")
    error = caught.value
    assert error.status_code == status
    assert "https://api.amazonalexa.com" in str(error)
    assert "redirect" in str(error)
    assert SECRET not in everything_said(error)
    assert len(server.requests) == 1
    assert sleeps == []


# -- secrets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "call"),
    [
        pytest.param(
            CREDENTIALS,
            {"skillMessagingCredentials": {"clientSecret": SECRET}},
            lambda c: c.credentials.get(SKILL),
            id="credentials",
        ),
        pytest.param(
            "/auth/o2/token",
            {"refresh_token": SECRET},
            lambda c: c.lwa.refresh("Atzr|r", client_id="cid", client_secret="sec"),
            id="token-grant",
        ),
        pytest.param(
            "/_localexa/lwa-clients",
            [{"clientSecret": SECRET, "name": "console"}],
            lambda c: c.admin.lwa_clients.list(),
            id="admin-list",
        ),
    ],
)
async def test_a_body_that_does_not_fit_never_shows_the_secret_beside_it(
    path: str, body: Any, call: Callable[[Any], Any], mode: str
) -> None:
    """pydantic's error quotes its input; chained to the client's error it printed a client
    secret or refresh token in every traceback."""
    async with misbehaving_server({path: answer(200, body)}) as server:
        with pytest.raises(APIResponseValidationError) as caught:
            await on_client(mode, server.base_url, call, auth="Atza|d")
    assert SECRET not in everything_said(caught.value)


async def test_a_token_auth_refresh_body_without_access_token_hides_the_refresh_token(mode: str) -> None:
    body = {"refresh_token": SECRET}
    async with misbehaving_server({"/auth/o2/token": answer(200, body), CREDENTIALS: ok()}) as server:
        auth = LwaTokenAuth(client_id="cid", refresh_token="Atzr|r")
        with pytest.raises(APIResponseValidationError) as caught:
            await on_client(mode, server.base_url, lambda c: c.credentials.get(SKILL), auth=auth)
    assert SECRET not in everything_said(caught.value)


async def test_a_list_answered_with_an_object_is_a_validation_error(mode: str) -> None:
    """A JSON object is no list: its keys were taken for the items, so `{}` listed nothing."""
    async with misbehaving_server({"/_localexa/customers": answer(200, {})}) as server:
        with pytest.raises(APIResponseValidationError, match="no list"):
            await on_client(mode, server.base_url, lambda c: c.admin.customers.list())


@pytest.mark.parametrize(
    ("options", "call"),
    [
        pytest.param(
            {"admin_key": f"\ufeff{SECRET}"}, lambda c: c.admin.customers.list(), id="admin-key-with-bom"
        ),
        pytest.param({"admin_key": f"{SECRET}\u2019"}, lambda c: c.admin.clock.get(), id="admin-key-quote"),
        pytest.param(
            {}, lambda c: c.events.send({"event": {}}, token=f"Atza|{SECRET}\udcff"), id="token-not-utf8"
        ),
        pytest.param(
            {"auth": f"Atza|{SECRET}\ud800"}, lambda c: c.credentials.get(SKILL), id="auth-not-utf8"
        ),
        # Past ASCII yet UTF-8: httpx sent these as UTF-8 (a header set by an auth is not held to
        # ASCII, as one given when a request is built is), and the server answered 401.
        pytest.param(
            {"auth": f"\ufeffAtza|{SECRET}"}, lambda c: c.credentials.get(SKILL), id="auth-with-bom"
        ),
        pytest.param({"auth": f"t\u00f6k{SECRET}"}, lambda c: c.credentials.get(SKILL), id="auth-latin1"),
        pytest.param(
            {}, lambda c: c.events.send({"event": {}}, token=f"\ufeffAtza|{SECRET}"), id="token-with-bom"
        ),
        pytest.param(
            # (token_url=: one instance serves both modes, whose servers differ; it never refreshes)
            {
                "auth": LwaTokenAuth(
                    client_id="cid", access_token=f"Atza|{SECRET}\u00e9", token_url=UNUSED_TOKEN_URL
                )
            },
            lambda c: c.credentials.get(SKILL),
            id="lwa-token-auth-past-ascii",
        ),
        pytest.param(
            {}, lambda c: c.admin.customers.create(name=f"{SECRET}\ud800", email="e", password="p"), id="body"
        ),
        pytest.param(
            {}, lambda c: c.thread_networks.list(f"{SECRET}\udcff", token="t").first_page(), id="query"
        ),
    ],
)
async def test_text_http_cannot_carry_is_a_configuration_error_that_never_quotes_it(
    options: dict[str, Any], call: Callable[[Any], Any], mode: str, sleeps: list[float]
) -> None:
    """An admin key or token read from a file with a byte-order mark, or text that is not UTF-8
    (argv bytes): httpx raised UnicodeEncodeError, whose repr holds the whole value."""
    options = {"admin_key": "admin", **options}
    async with misbehaving_server({}) as server:
        with pytest.raises(ConfigurationError) as caught:
            await on_client(mode, server.base_url, call, **options)
    error = caught.value
    assert "not text HTTP can carry" in str(error)
    assert SECRET not in everything_said(error)
    assert error.__cause__ is None
    assert error.__context__ is None
    assert server.requests == []
    assert sleeps == []


def test_reprs_hide_a_password_in_the_base_url() -> None:
    url = f"http://admin:{SECRET}@127.0.0.1:8080"
    with Client(base_url=url) as client:
        shown = [repr(client), repr(client.endpoints), repr(Endpoints.local(url))]
    shown.append(repr(AsyncClient(base_url=url)))
    for text in shown:
        assert SECRET not in text
        assert "admin:***@127.0.0.1" in text
    assert Endpoints.local(url).alexa_na == url  # only shown hidden: the URL itself is kept


async def test_localexa_lwa_errors_never_echo_what_was_sent(live: str, sdk: AsyncClient) -> None:
    """Wrong refresh token, access token, code and client secret at the real LWA: the errors
    carry LWA's code and say nothing of the values."""
    dev = await developer(sdk)
    console = await sdk.admin.lwa_clients.create(name="Console", redirect_uris=["https://a.example/cb"])
    wrong = f"Atza|{SECRET}"
    calls: list[Callable[[Any], Any]] = [
        lambda c: c.lwa.refresh(
            f"Atzr|{SECRET}", client_id=console.client_id, client_secret=console.client_secret
        ),
        lambda c: c.lwa.token_info(wrong),
        lambda c: c.lwa.profile(wrong),
        lambda c: c.lwa.exchange_code(
            SECRET, redirect_uri="https://a.example/cb", client_id=console.client_id, client_secret=SECRET
        ),
        lambda c: c.lwa.client_credentials(
            scope="alexa:skill_messaging", client_id=console.client_id, client_secret=SECRET
        ),
    ]
    assert dev.token
    for call in calls:
        with pytest.raises(APIStatusError) as caught:
            await on_client("async", live, call)
        error = caught.value
        assert error.code
        assert error.request_id
        assert 400 <= error.status_code < 500
        assert SECRET not in everything_said(error)
