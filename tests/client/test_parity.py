"""Sync/async parity by behaviour, not only by signature (test_audit compares those): every public
call of every resource, made the same way on `Client` and `AsyncClient` against the same answers,
sends the same requests, retries as often, and ends in the same result or the same error with the
same status, code, message and request id. Pagers offer the same calls.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

import anyio.to_thread
import httpx
import pytest

from localexa.client import AsyncClient, AsyncPager, Client, LwaTokenAuth, RetryPolicy, SyncPager
from tests.client.conftest import BASE
from tests.client.live_helpers import live
from tests.conftest import ADMIN_KEY

__all__ = ["live"]

#: Calls that do no I/O: compared by the type of what they answer.
LOCAL_ONLY = {"authorization_url", "token_auth"}
CLIENT_ONLY = {"close", "aclose", "with_options"}


def _argument(annotation: Any) -> Any:
    text = str(annotation)
    if "Mapping" in text:
        return {}
    if "Sequence" in text:
        return ["alexa::ask:skills:readwrite"]
    if text in ("int", "float"):
        return 7
    return "amzn1.x-1"


def calls(cls: type, where: str = "client") -> Iterator[tuple[str, list[str], dict[str, Any]]]:
    """(dotted name, attribute path, required arguments) of every public call under `cls`."""
    for name in sorted(dir(cls)):
        member = inspect.getattr_static(cls, name)
        if name.startswith("_") or name in CLIENT_ONLY:
            continue
        if isinstance(member, cached_property):
            child = inspect.signature(member.func, eval_str=True).return_annotation
            for dotted, path, kwargs in calls(child, f"{where}.{name}"):
                yield dotted, [name, *path], kwargs
        elif callable(member) and not isinstance(member, property):
            parameters = list(inspect.signature(getattr(cls, name)).parameters.values())[1:]
            kwargs = {p.name: _argument(p.annotation) for p in parameters if p.default is p.empty}
            yield f"{where}.{name}", [name], kwargs


EVERY_CALL = list(calls(Client))


def _target(client: Any, path: list[str]) -> Any:
    for name in path:
        client = getattr(client, name)
    return client


def _outcome(result: Any = None, error: BaseException | None = None) -> tuple[Any, ...]:
    if error is None:
        shown = (
            type(result).__name__ if result is not None and not isinstance(result, bool | list) else result
        )
        return ("returned", shown)
    return (
        "raised",
        type(error).__name__,
        getattr(error, "status_code", None),
        getattr(error, "code", None),
        getattr(error, "message", str(error)),
        getattr(error, "request_id", None),
    )


class Recorder:
    """A fake Amazon answering every request with `answer`, keeping what was asked."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.seen: list[tuple[str, str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path, str(request.url.params)))
        return self.answer(request)


def run_sync(path: list[str], kwargs: dict[str, Any], handler: Recorder, **options: Any) -> tuple[Any, ...]:
    with Client(base_url=BASE, transport=httpx.MockTransport(handler), **options) as client:
        try:
            result = _target(client, path)(**kwargs)
            if isinstance(result, SyncPager):
                result = list(result)
        except Exception as error:  # compared, not handled
            return _outcome(error=error)
        return _outcome(result)


async def run_async(
    path: list[str], kwargs: dict[str, Any], handler: Recorder, **options: Any
) -> tuple[Any, ...]:
    async with AsyncClient(base_url=BASE, transport=httpx.MockTransport(handler), **options) as client:
        try:
            result = _target(client, path)(**kwargs)
            if isinstance(result, AsyncPager):
                result = [item async for item in result]
            elif inspect.isawaitable(result):
                result = await result
        except Exception as error:  # compared, not handled
            return _outcome(error=error)
        return _outcome(result)


def not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        404, json={"code": "NOT_FOUND", "message": "It is not here."}, headers={"X-Amzn-RequestId": "rid-404"}
    )


def unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        503, json={"message": "Busy."}, headers={"Retry-After": "1", "X-Amzn-RequestId": "r5"}
    )


def empty_success(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={})


@pytest.mark.parametrize("answer", [not_found, unavailable, empty_success])
async def test_every_call_behaves_the_same_on_both_clients(
    answer: Callable[[httpx.Request], httpx.Response], sleeps: list[float]
) -> None:
    assert len(EVERY_CALL) > 45
    options = {"auth": "Atza|dev", "admin_key": "admin-key", "retry": RetryPolicy(rand=lambda: 0.5)}
    compared = 0
    for dotted, path, kwargs in EVERY_CALL:
        if path[-1] in LOCAL_ONLY:
            continue
        sync_handler, async_handler = Recorder(answer), Recorder(answer)
        sleeps.clear()
        sync_outcome = await anyio.to_thread.run_sync(
            functools.partial(run_sync, path, kwargs, sync_handler, **options)
        )
        sync_sleeps = list(sleeps)
        sleeps.clear()
        async_outcome = await run_async(path, kwargs, async_handler, **options)
        assert async_outcome == sync_outcome, dotted
        assert async_handler.seen == sync_handler.seen, dotted
        assert sleeps == sync_sleeps, dotted
        assert sync_handler.seen, dotted  # every call reached the server
        compared += 1
    assert compared > 45


async def test_a_failed_refresh_raises_the_same_error_on_both_clients() -> None:
    def lwa(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "The refresh token is invalid."}
            )
        return httpx.Response(200, json={})

    outcomes = []
    for runner in ("sync", "async"):
        auth = LwaTokenAuth(client_id="cid", client_secret="sec", refresh_token="Atzr|gone")
        handler = Recorder(lwa)
        if runner == "sync":
            outcome = await anyio.to_thread.run_sync(
                functools.partial(run_sync, ["credentials", "get"], {"skill_id": "s"}, handler, auth=auth)
            )
        else:
            outcome = await run_async(["credentials", "get"], {"skill_id": "s"}, handler, auth=auth)
        outcomes.append((outcome, handler.seen))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][:4] == ("raised", "BadRequestError", 400, "invalid_grant")


async def test_local_calls_answer_the_same_types() -> None:
    async with AsyncClient(base_url=BASE) as async_client:
        sync_client = Client(base_url=BASE)
        for name in sorted(LOCAL_ONLY):
            kwargs = {"client_id": "cid", "scope": "profile", "redirect_uri": "https://a/cb"}
            if name == "token_auth":
                kwargs = {"client_id": "cid", "refresh_token": "Atzr|r"}
            sync_result = getattr(sync_client.lwa, name)(**kwargs)
            async_result = getattr(async_client.lwa, name)(**kwargs)
            assert type(sync_result) is type(async_result), name
            assert not inspect.isawaitable(async_result), name
        sync_client.close()


def _public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def test_pagers_offer_the_same_calls() -> None:
    assert _public(SyncPager) == _public(AsyncPager) == {"first_page", "pages"}
    assert hasattr(SyncPager, "__iter__")
    assert hasattr(AsyncPager, "__aiter__")
    assert inspect.iscoroutinefunction(AsyncPager.first_page)
    assert inspect.isasyncgenfunction(AsyncPager.pages)
    assert inspect.isgeneratorfunction(SyncPager.pages)


async def test_both_clients_walk_the_real_journal_page_by_page_alike(live: str, sdk: AsyncClient) -> None:
    """The journal's own cursor (`nextCursor`), two entries a page: both clients read the same
    entries, each once, newest first, and stop after the last page."""
    for index in range(5):
        await sdk.admin.customers.create(
            name=f"C{index}", email=f"c{index}-{id(sdk)}@example.com", password="pw"
        )

    def blocking() -> list[list[int]]:
        with Client(base_url=live, admin_key=ADMIN_KEY) as client:
            return [
                [e.id for e in page.items]
                for page in client.admin.journal.list(path="/_localexa/customers", limit=2).pages()
            ]

    sync_pages = await anyio.to_thread.run_sync(blocking)
    async with AsyncClient(base_url=live, admin_key=ADMIN_KEY) as client:
        async_pages = [
            [e.id for e in page.items]
            async for page in client.admin.journal.list(path="/_localexa/customers", limit=2).pages()
        ]
    ids = [entry for page in sync_pages for entry in page]
    assert async_pages == sync_pages
    assert len(ids) == len(set(ids)) >= 5
    assert ids == sorted(ids, reverse=True)
    assert all(len(page) == 2 for page in sync_pages[:-1])
