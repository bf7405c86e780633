"""A demanding user's audit of the client: what may be retried (a POST too, when the server cannot
have acted on it), timeouts, error bodies no API family sends, secrets kept out of errors, listings
that cannot loop, PKCE verifiers, and sync/async parity.

Server behaviour comes from a real localexa app served over HTTP on 127.0.0.1 (`live`); only what
localexa cannot be made to answer (a body whose encoding is broken, a token cycle) uses
httpx.MockTransport.
"""

from __future__ import annotations

import inspect
import re
import socket
from functools import cached_property
from typing import Any

import anyio.to_thread
import httpx
import pytest

from localexa.client import (
    DEFAULT_TIMEOUT,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncClient,
    BadRequestError,
    Client,
    ConfigurationError,
    LwaTokenAuth,
    RateLimitError,
    RetryPolicy,
)
from localexa.client._errors import status_error_from_response
from localexa.client.pkce import build_authorization_url, code_challenge_s256, generate_code_verifier
from tests.client.conftest import BASE, Either, FakeAmazon, reply
from tests.client.contract import developer, email
from tests.client.live_helpers import live, mode
from tests.client.live_helpers import on_client as on_live

__all__ = ["live", "mode"]  # the fixtures, shared with the other live tests

SECRET = "Atza|very-secret-token"


def closed_port() -> int:
    """A port of 127.0.0.1 nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- 1. retries ---------------------------------------------------------------------------------


async def test_a_post_answered_429_is_retried_after_retry_after(
    mode: str, live: str, sdk: AsyncClient, sleeps: list[float]
) -> None:
    """The throttle refuses a call before running it, so a 429 is safe to retry even for a POST
    (creating a customer): one customer is created, after the Retry-After wait."""
    fault = await sdk.admin.faults.create(
        path="/_localexa/customers", method="POST", status=429, count=1, retry_after=2
    )
    address = email()
    created = await on_live(
        mode, live, lambda c: c.admin.customers.create(name="Ada", email=address, password="pw")
    )
    assert created.email == address
    assert sleeps == [2.0]
    (listed,) = [f for f in await sdk.admin.faults.list() if f.fault_id == fault.fault_id]
    assert listed.fired == 1
    assert [c.email for c in await sdk.admin.customers.list()].count(address) == 1


async def test_a_post_is_retried_when_no_connection_was_made(mode: str, sleeps: list[float]) -> None:
    """Connection refused: nothing was sent, so a POST may be sent again (up to max_retries)."""
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(APIConnectionError) as caught:
        await on_live(mode, url, lambda c: c.admin.customers.create(name="A", email=email(), password="p"))
    assert caught.value.sent is False
    assert len(sleeps) == RetryPolicy().max_retries


async def test_a_post_that_timed_out_after_sending_is_not_repeated(
    mode: str, live: str, sdk: AsyncClient, sleeps: list[float]
) -> None:
    """A read timeout: the server got the POST and may act on it, so it is not sent again."""
    fault = await sdk.admin.faults.create(path="/_localexa/vendors", method="POST", delay_ms=800, count=1)
    user = await sdk.admin.customers.create(name="Owner", email=email(), password="pw")
    with pytest.raises(APITimeoutError) as caught:
        await on_live(
            mode,
            live,
            lambda c: c.admin.vendors.create(name="Acme", owner_user_id=user.user_id),
            # Only the read times out: a connect slower than 0.3 s on a loaded machine is a
            # ConnectTimeout, safe to retry, and would send the POST again (seen in CI).
            timeout=httpx.Timeout(10.0, read=0.3),
        )
    assert caught.value.sent is True
    assert sleeps == []
    (listed,) = [f for f in await sdk.admin.faults.list() if f.fault_id == fault.fault_id]
    assert listed.matched == 1


async def test_a_get_that_timed_out_is_retried_then_raised_as_a_timeout(
    mode: str, live: str, sdk: AsyncClient, sleeps: list[float]
) -> None:
    fault = await sdk.admin.faults.create(path="/_localexa/clock", method="GET", delay_ms=1000, count=3)
    with pytest.raises(APITimeoutError):
        await on_live(mode, live, lambda c: c.admin.clock.get(), timeout=httpx.Timeout(10.0, read=0.2))
    (listed,) = [f for f in await sdk.admin.faults.list() if f.fault_id == fault.fault_id]
    assert listed.matched == 1 + RetryPolicy().max_retries
    assert len(sleeps) == RetryPolicy().max_retries


async def test_a_429_beyond_max_retries_is_raised(
    mode: str, live: str, sdk: AsyncClient, sleeps: list[float]
) -> None:
    await sdk.admin.faults.create(path="/_localexa/customers", method="POST", status=429, retry_after=1)
    with pytest.raises(RateLimitError) as caught:
        await on_live(
            mode,
            live,
            lambda c: c.admin.customers.create(name="A", email=email(), password="p"),
            max_retries=3,
        )
    assert caught.value.retry_after == 1.0
    assert caught.value.request_id
    assert sleeps == [1.0, 1.0, 1.0]


def test_every_request_has_a_default_timeout_with_a_shorter_connect() -> None:
    with Client() as client:
        assert client._http.timeout == DEFAULT_TIMEOUT
    assert DEFAULT_TIMEOUT.connect is not None
    assert DEFAULT_TIMEOUT.read is not None
    assert DEFAULT_TIMEOUT.connect < DEFAULT_TIMEOUT.read


# -- 2/3. errors httpx would otherwise leak, secrets ------------------------------------------


async def test_a_token_with_a_newline_is_a_configuration_error_that_never_quotes_it(
    mode: str, live: str, sleeps: list[float]
) -> None:
    """A token read from a file keeps its newline; httpx refuses the header and quotes it. The
    client says what is wrong without the token (nor chains httpx's error), and does not retry."""
    with pytest.raises(ConfigurationError) as caught:
        await on_live(mode, live, lambda c: c.credentials.get("amzn1.ask.skill.1"), auth=SECRET + "\n")
    error = caught.value
    for text in (str(error), repr(error)):
        assert "very-secret" not in text
    assert "newline" in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None
    assert sleeps == []


async def test_a_body_whose_encoding_is_broken_is_an_api_error(either: Either, amazon: FakeAmazon) -> None:
    """A proxy that says gzip and sends something else: an APIError, never httpx.DecodingError."""
    amazon.on(
        "GET",
        f"{BASE}/v1/skills/amzn1.ask.skill.1/credentials",
        lambda request: httpx.Response(
            502, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"<html>Bad Gateway</html>")
        ),
    )
    with pytest.raises(APIConnectionError, match="could not be decoded"):
        await either.run(lambda c: c.credentials.get("amzn1.ask.skill.1"), auth="Atza|dev", max_retries=0)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"message": "m", "violations": 5}', id="violations-number"),
        pytest.param(b'{"message": "m", "violations": true}', id="violations-bool"),
        pytest.param(b'{"message": "m", "violations": {"code": "X"}}', id="violations-object"),
    ],
)
def test_an_error_body_with_odd_violations_does_not_crash(body: bytes) -> None:
    request = httpx.Request("GET", f"{BASE}/v1/x")
    error = status_error_from_response(httpx.Response(400, content=body, request=request))
    assert isinstance(error, BadRequestError)
    assert (error.message, error.violations) == ("m", [])


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("bad host:99x", id="bad-port"),
        pytest.param("[::1", id="broken-ipv6"),
        pytest.param("", id="empty"),
        pytest.param("ftp://x", id="not-http"),
        pytest.param("evil.example/path?x", id="path-and-query"),
    ],
)
async def test_an_alexa_api_endpoint_that_is_no_host_is_a_validation_error(
    entry: str, either: Either, amazon: FakeAmazon
) -> None:
    """localexa answers good entries only; a broken one is an APIError, never httpx.InvalidURL, and
    the customer's token goes nowhere."""
    amazon.on("GET", f"{BASE}/v1/alexaApiEndpoint", reply(200, {"endpoints": [entry]}))
    with pytest.raises(APIResponseValidationError, match="alexaApiEndpoint"):
        await either.run(lambda c: c.customer_enablement.get("amzn1.ask.skill.1", token="Atza|c"))
    assert [r.url.path for r in amazon.requests] == ["/v1/alexaApiEndpoint"]


async def test_an_endpoint_argument_that_is_no_url_is_a_configuration_error(
    either: Either, amazon: FakeAmazon
) -> None:
    with pytest.raises(ConfigurationError, match="bad host"):
        await either.run(
            lambda c: c.customer_enablement.get("amzn1.ask.skill.1", token="Atza|c", endpoint="bad host:9x")
        )
    assert amazon.requests == []


# -- 4. pagination ------------------------------------------------------------------------------


async def test_a_cycle_of_tokens_cannot_loop_forever(either: Either, amazon: FakeAmazon) -> None:
    """A, B, A, B, ...: the third page would repeat the first; the listing stops there."""
    following = {None: "A", "A": "B", "B": "A"}

    def handler(request: httpx.Request) -> httpx.Response:
        if len(amazon.requests) > 10:  # a client that loops would never stop: fail it instead
            return httpx.Response(400, json={"message": "looping"})
        token = request.url.params.get("nextToken")
        return httpx.Response(200, json={"threadNetworks": [], "nextToken": following[token]})

    amazon.on("GET", f"{BASE}/credentiallocker/v2/threadNetworks", handler)
    with pytest.raises(APIError, match="same nextToken"):
        await either.run(lambda c: c.thread_networks.list(extended_pan_id="e", token="t"))
    assert [r.url.params.get("nextToken") for r in amazon.requests] == [None, "A", "B"]


async def test_test_plans_end_where_the_server_omits_pagination_context(
    mode: str, live: str, sdk: AsyncClient
) -> None:
    dev = await developer(sdk)
    skill = await sdk.admin.skills.create(vendor_id=dev.vendor_id, name="S", endpoint="http://127.0.0.1:9/s")

    def listing(client: Any) -> Any:
        return client.evaluations.test_plans(skill.skill_id, max_results=1).pages()

    if mode == "sync":

        def blocking() -> list[Any]:
            with Client(base_url=live, auth=dev.token) as client:
                return list(listing(client))

        pages = await anyio.to_thread.run_sync(blocking)
    else:
        async with AsyncClient(base_url=live, auth=dev.token) as client:
            pages = [page async for page in listing(client)]
    assert len(pages) > 1
    assert all(len(p.items) == 1 for p in pages)
    assert pages[-1].next_token is None
    assert pages[-1].total_count is None
    assert all(p.next_token for p in pages[:-1])


# -- 5. PKCE --------------------------------------------------------------------------------------

UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@pytest.mark.parametrize("length", [43, 64, 128])
def test_generated_verifiers_are_rfc_7636(length: int) -> None:
    for _ in range(50):
        assert UNRESERVED.fullmatch(generate_code_verifier(length))


@pytest.mark.parametrize(
    "verifier",
    [
        pytest.param("v" * 42, id="too-short"),
        pytest.param("v" * 129, id="too-long"),
        pytest.param("v" * 42 + "+", id="not-unreserved"),
        pytest.param("v" * 42 + "é", id="not-ascii"),
        pytest.param("", id="empty"),
    ],
)
def test_a_given_verifier_that_is_not_rfc_7636_is_refused(verifier: str) -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        build_authorization_url(
            BASE, client_id="c", scope="profile", redirect_uri="https://a/cb", code_verifier=verifier
        )


def test_a_given_verifier_that_is_rfc_7636_is_used() -> None:
    verifier = "a-b.c_d~" * 6
    request = build_authorization_url(
        BASE, client_id="c", scope="profile", redirect_uri="https://a/cb", code_verifier=verifier
    )
    assert request.code_verifier == verifier
    params = httpx.URL(request.url).params
    assert params["code_challenge"] == code_challenge_s256(verifier)
    assert params["code_challenge_method"] == "S256"


# -- 6. sync/async parity -------------------------------------------------------------------------


def _resources(cls: type) -> dict[str, type]:
    """Public sub-resources (cached properties) of a client or resource class, by name."""
    found: dict[str, type] = {}
    for name, member in vars(cls).items():
        if name.startswith("_") or not isinstance(member, cached_property):
            continue
        found[name] = inspect.signature(member.func, eval_str=True).return_annotation
    return found


def _methods(cls: type) -> dict[str, inspect.Signature]:
    """Public methods (resource calls and helpers) with their parameters, `self` dropped."""
    methods: dict[str, inspect.Signature] = {}
    for name in dir(cls):
        member = inspect.getattr_static(cls, name)
        if name.startswith("_") or isinstance(member, cached_property | property) or not callable(member):
            continue
        signature = inspect.signature(getattr(cls, name))
        methods[name] = signature.replace(parameters=list(signature.parameters.values())[1:])
    return methods


def _parameters(signature: inspect.Signature) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


def test_sync_and_async_resources_have_the_same_methods_and_parameters() -> None:
    pending: list[tuple[str, type, type]] = [("client", Client, AsyncClient)]
    compared = 0
    while pending:
        where, sync_cls, async_cls = pending.pop()
        sync_methods, async_methods = _methods(sync_cls), _methods(async_cls)
        names = set(sync_methods) - {"close", "with_options"}
        assert names == set(async_methods) - {"aclose", "with_options"}, where
        for name in names:
            sync_sig, async_sig = sync_methods[name], async_methods[name]
            assert _parameters(sync_sig) == _parameters(async_sig), f"{where}.{name}"
            assert (
                inspect.iscoroutinefunction(getattr(async_cls, name))
                or "Pager" in str(async_sig.return_annotation)
                or not inspect.iscoroutinefunction(getattr(sync_cls, name))
            ), f"{where}.{name}"
            compared += 1
        sync_children, async_children = _resources(sync_cls), _resources(async_cls)
        assert set(sync_children) == set(async_children), where
        pending += [(f"{where}.{n}", sync_children[n], async_children[n]) for n in sync_children]
    assert compared > 40


def test_sync_and_async_clients_take_the_same_arguments() -> None:
    for method in ("__init__", "with_options"):
        sync_params = inspect.signature(getattr(Client, method)).parameters
        async_params = inspect.signature(getattr(AsyncClient, method)).parameters
        assert [(p.name, p.kind, p.default) for p in sync_params.values()] == [
            (p.name, p.kind, p.default) for p in async_params.values()
        ], method


async def test_sync_and_async_retry_the_same_way(
    either: Either, amazon: FakeAmazon, sleeps: list[float]
) -> None:
    """The same policy, the same waits: 429 with Retry-After then backoff, on both clients."""
    url = f"{BASE}/v1/skills/amzn1.ask.skill.1/credentials"
    body = {"skillMessagingCredentials": {"clientId": "c", "clientSecret": "s"}}
    amazon.on("GET", url, reply(429, {"message": "slow"}, {"Retry-After": "3"}), reply(500), reply(200, body))
    policy = RetryPolicy(rand=lambda: 0.5, initial_delay=1.0)
    await either.run(lambda c: c.credentials.get("amzn1.ask.skill.1"), auth="Atza|d", retry=policy)
    assert sleeps == [3.0, 1.0]


# -- 5. one refresh at a time, against the real LWA -------------------------------------------------


async def test_tasks_and_threads_share_one_refresh_at_the_real_token_endpoint(
    live: str, sdk: AsyncClient
) -> None:
    """10 tasks of an AsyncClient and 10 threads of a Client share one LwaTokenAuth whose token is
    stale: the real /auth/o2/token is called exactly once, and every call succeeds with the new token."""
    dev = await developer(sdk)
    skill = await sdk.admin.skills.create(vendor_id=dev.vendor_id, name="S", endpoint="http://127.0.0.1:9/s")
    app_client = await sdk.admin.lwa_clients.create(name="Console", redirect_uris=["https://a.example/cb"])
    pair = await sdk.admin.tokens.create(
        client_id=app_client.client_id, user_id=dev.user_id, scopes=["alexa::ask:skills:readwrite"]
    )
    auth = LwaTokenAuth(
        client_id=app_client.client_id,
        client_secret=app_client.client_secret,
        refresh_token=pair.refresh_token,
        access_token=pair.access_token,
        expires_at=0.0,  # stale from the start
    )
    results: list[str] = []
    async with AsyncClient(base_url=live, auth=auth) as async_client:
        with Client(base_url=live, auth=auth) as sync_client:

            def blocking() -> None:
                creds = sync_client.credentials.get(skill.skill_id)
                results.append(creds.skill_messaging_credentials.client_id)

            async def awaited() -> None:
                creds = await async_client.credentials.get(skill.skill_id)
                results.append(creds.skill_messaging_credentials.client_id)

            async with anyio.create_task_group() as group:
                for _ in range(10):
                    group.start_soon(awaited)
                    group.start_soon(anyio.to_thread.run_sync, blocking)
    assert len(results) == 20
    assert auth.refresh_count == 1
    assert auth.access_token != pair.access_token
    grants = [e async for e in sdk.admin.journal.list(path="/auth/o2/token")]
    assert len(grants) == 1


def test_an_argument_the_request_body_refuses_is_a_configuration_error() -> None:
    """`stage="cert"` raised pydantic's ValidationError (outside `except LocalexaClientError`,
    quoting the input) before anything was sent (QA of 2026-12-05)."""
    from localexa.client import Client

    with Client(base_url=f"http://127.0.0.1:{closed_port()}", auth="Atza|x", max_retries=0) as client:
        with pytest.raises(ConfigurationError, match="stage") as caught:
            client.evaluations.create("amzn1.ask.skill.1", test_plan_id="p", endpoint_id="e", stage="cert")  # type: ignore[arg-type]
        assert caught.value.__cause__ is None
        assert caught.value.__context__ is None
        with pytest.raises(ConfigurationError, match="stage"):
            client.customer_enablement.enable_and_link(
                "amzn1.ask.skill.1",
                auth_code="SECRETCODE",
                redirect_uri="https://x/cb",
                stage="beta",  # type: ignore[arg-type]
            )
