"""Calls whose answer has no body (Amazon's 202, 200 and 204 without one) refuse a 2xx that
carries one: a proxy's sign-in page, a captive portal, another server on the port. Until
2026-12-07 `events.send`, `thread_networks.put`, `customer_enablement.disable`,
`account_linking.update`/`.delete` and `admin.faults.delete` reported success for any 2xx, so an
event or a Thread network was "accepted" by a captive portal and silently lost (review36b #1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from localexa.client import APIResponseValidationError
from tests.client.conftest import BASE, Either, FakeAmazon

SKILL = "amzn1.ask.skill.1"
LINKING = f"/v1/skills/{SKILL}/stages/development/accountLinkingClient"
NETWORK = {"extended_pan_id": "dead00beef00cafe", "network_name": "home", "network_key": "00" * 16}

#: (method, path, the call, the status localexa and Amazon answer it with, no body).
CALLS: list[Any] = [
    pytest.param(
        "POST", "/v3/events", lambda c: c.events.send({"event": {}}, token="Atza|t"), 202, id="events.send"
    ),
    pytest.param(
        "PUT",
        "/credentiallocker/v2/threadNetworks",
        lambda c: c.thread_networks.put(**NETWORK, token="Atza|t"),
        200,
        id="thread_networks.put",
    ),
    pytest.param(
        "DELETE",
        f"/v1/users/~current/skills/{SKILL}/enablement",
        lambda c: c.customer_enablement.disable(SKILL, token="Atza|t", endpoint=BASE),
        200,
        id="customer_enablement.disable",
    ),
    pytest.param(
        "PUT", LINKING, lambda c: c.account_linking.update(SKILL, {"clientId": "c"}), 204, id="linking.update"
    ),
    pytest.param("DELETE", LINKING, lambda c: c.account_linking.delete(SKILL), 204, id="linking.delete"),
    pytest.param(
        "DELETE",
        "/_localexa/faults/fault-1",
        lambda c: c.admin.faults.delete("fault-1"),
        204,
        id="faults.delete",
    ),
]

FOREIGN = [
    pytest.param(200, "text/html", b"<html>Sign in to the Wi-Fi</html>", id="html-200"),
    pytest.param(202, "text/html", b"<html>Sign in to the Wi-Fi</html>", id="html-202"),
    pytest.param(200, "application/json", b'{"weird": [1, 2]}', id="object-200"),
]


@pytest.mark.parametrize(("status", "content_type", "page"), FOREIGN)
@pytest.mark.parametrize(("method", "path", "run", "ok_status"), CALLS)
async def test_a_2xx_with_a_body_is_no_success(
    either: Either,
    amazon: FakeAmazon,
    method: str,
    path: str,
    run: Callable[[Any], Any],
    ok_status: int,
    status: int,
    content_type: str,
    page: bytes,
) -> None:
    amazon.on(
        method, BASE + path, httpx.Response(status, content=page, headers={"Content-Type": content_type})
    )
    with pytest.raises(APIResponseValidationError) as caught:
        await either.run(run, auth="Atza|dev", admin_key="k", max_retries=0)
    assert caught.value.status_code == status
    assert str(caught.value).startswith(f"{method} {path} answered {status} with a body where ")


@pytest.mark.parametrize(("method", "path", "run", "ok_status"), CALLS)
async def test_the_real_answer_without_a_body_is_a_success(
    either: Either, amazon: FakeAmazon, method: str, path: str, run: Callable[[Any], Any], ok_status: int
) -> None:
    """What localexa's server and Amazon answer (events 202, the Credential Locker's PUT and the
    customer's DELETE 200, the rest 204, none with a body) still passes."""
    amazon.on(method, BASE + path, httpx.Response(ok_status, headers={"ETag": '"v2"'}))
    result = await either.run(run, auth="Atza|dev", admin_key="k", max_retries=0)
    assert result == ('"v2"' if path == LINKING and method == "PUT" else None)
