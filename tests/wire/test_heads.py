"""Request heads on the wire: too large, broken, smuggled, pipelined, without a Host.

Every refusal is an answer in the API's own shape (here the Credential Locker's `{"code",
"message"}` or the admin API's `{"message"}`), with `Connection: close`, and the server answers
the next client at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.wire.conftest import Served
from tests.wire.raw import exchange, request

LOCKER = "/credentiallocker/v2/threadNetworks"
HEALTH = "/_localexa/health"


def test_a_target_of_8_kb_is_served_and_one_of_64_kb_is_a_414_in_the_api_shape(served: Served) -> None:
    ok = exchange(served.port, request("GET", f"{HEALTH}?{'a' * 8000}", "Connection: close"))
    assert ok.answer.status == 200

    for size in (64 * 1024, 1024 * 1024):
        refused = exchange(served.port, request("GET", f"{LOCKER}?extendedPanId={'a' * size}"))
        answer = refused.answer
        assert answer.status == 414, refused
        body = answer.json()
        assert body["code"] == "URI_TOO_LONG"
        assert "longer than 16384 bytes" in body["message"]
        assert answer.closes
        assert refused.closed
        assert served.health_now() == 200


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([f"X-Big: {'a' * 1024 * 1024}"], id="one-1-MB-header"),
        pytest.param([f"X-{i}: y" for i in range(10_000)], id="10000-headers"),
    ],
)
def test_a_head_over_64_kib_is_a_431(served: Served, headers: list[str]) -> None:
    refused = exchange(served.port, request("GET", f"{LOCKER}?extendedPanId=1", *headers))
    answer = refused.answer
    assert answer.status == 431, refused
    assert answer.json()["code"] == "REQUEST_HEADER_FIELDS_TOO_LARGE"
    assert answer.closes
    assert refused.closed
    assert served.health_now() == 200


def test_a_hundred_headers_are_served(served: Served) -> None:
    headers = [f"X-{i}: y" for i in range(100)]
    assert exchange(served.port, request("GET", HEALTH, *headers, "Connection: close")).answer.status == 200


def test_an_endless_header_is_refused_before_it_is_held_in_memory(served: Served) -> None:
    """uvicorn's httptools protocol kept a head whole, however large: 50 MB of one header grew the
    server by as much. It is refused at 64 KiB, and what else comes is read and dropped."""
    rss = Path(f"/proc/{served.process.pid}/status")
    if not rss.exists():
        pytest.skip("reads the server's resident memory from /proc")

    def resident_mb() -> int:
        line = next(line for line in rss.read_text().splitlines() if line.startswith("VmRSS"))
        return int(line.split()[1]) // 1024

    before = resident_mb()
    refused = exchange(served.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (50 << 20))
    assert refused.answer.status == 431
    assert resident_mb() - before < 25


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", "Invalid header value char", id="NUL"
        ),
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", "Missing expected LF", id="CR-alone"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", "whitespace", id="obs-fold"),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 10\r\n\r\n{}",
            "Duplicate Content-Length",
            id="two-content-lengths",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            "Invalid character in chunk size",
            id="bad-chunk-size",
        ),
        pytest.param(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", "TLS handshake", id="TLS-on-plain"),
    ],
)
def test_a_request_that_is_not_http_is_a_400_saying_why(served: Served, raw: bytes, says: str) -> None:
    refused = exchange(served.port, raw)
    answer = refused.answer
    assert answer.status == 400, refused
    assert says in answer.json()["message"]
    assert answer.closes
    assert refused.closed
    assert served.health_now() == 200
    # The log says why too (it held only uvicorn's "Invalid HTTP request received."; QA 2026-12-05).
    deadline = time.monotonic() + 5
    while f"with 400: {answer.json()['message']}" not in served.log():
        assert time.monotonic() < deadline, served.log()[-2000:]
        time.sleep(0.05)


def test_content_length_with_transfer_encoding_is_refused_not_read_as_two_requests(served: Served) -> None:
    smuggled = (
        b"POST /_localexa/customers HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    refused = exchange(served.port, smuggled)
    assert [answer.status for answer in refused.answers] == [400], refused
    assert "Transfer-Encoding" in refused.answer.json()["message"]
    assert "/smuggled" not in served.log()


def test_a_transfer_coding_other_than_chunked_is_a_501(served: Served) -> None:
    gzip_body = b"5\r\n\x1f\x8b\x08\x00\x00\r\n0\r\n\r\n"
    refused = exchange(
        served.port,
        request("PUT", LOCKER, "Transfer-Encoding: gzip, chunked", "Connection: close", body=gzip_body),
    )
    assert refused.answer.status == 501
    assert refused.answer.json()["code"] == "NOT_IMPLEMENTED"


def test_pipelined_requests_are_answered_in_order_and_a_broken_one_after_them(served: Served) -> None:
    both = exchange(served.port, request("GET", HEALTH) + request("GET", "/nope", "Connection: close"))
    assert [answer.status for answer in both.answers] == [200, 404]
    assert "/nope" in both.answers[1].json()["message"]

    then_broken = exchange(
        served.port, request("GET", HEALTH) + b"GET / HTTP/1.1\r\nHost: x\r\nX: \x00\r\n\r\n"
    )
    assert [answer.status for answer in then_broken.answers] == [200, 400]
    assert then_broken.closed

    then_too_large = exchange(
        served.port, request("GET", HEALTH) + request("GET", "/", "X-A: " + "a" * 70_000)
    )
    assert [answer.status for answer in then_too_large.answers] == [200, 431]


def test_host_http_1_0_may_leave_it_out_http_1_1_must_send_exactly_one(served: Served) -> None:
    old = exchange(served.port, b"GET /_localexa/health HTTP/1.0\r\n\r\n")
    assert old.answer.status == 200

    for hosts in ([], ["Host: a", "Host: api.eu.amazonalexa.com"]):
        refused = exchange(served.port, request("GET", HEALTH, *hosts, "Connection: close", host=None))
        assert refused.answer.status == 400, (hosts, refused)
        assert "exactly one (RFC 9112 §3.2)" in refused.answer.json()["message"]


def test_the_host_of_an_absolute_form_target_or_of_the_host_header_picks_the_region(served: Served) -> None:
    """An EU customer calling the NA port: `Host: api.eu.amazonalexa.com` makes it the EU endpoint
    (README "Regions"), and so does `GET http://api.eu.amazonalexa.com/...`, whatever `Host` says
    (RFC 9112 §3.2.2: the target's host wins; it was the NA endpoint)."""
    user = served.admin(
        "customers",
        {"name": "Eve", "email": "eve-wire@example.com", "password": "pw123456", "region": "EU"},
    )["userId"]
    client_id = served.admin("lwa-clients", {"name": "App", "redirectUris": ["https://app.example.com/cb"]})[
        "clientId"
    ]
    token = served.admin(
        "tokens", {"clientId": client_id, "userId": user, "scopes": ["alexa::skills:account_linking"]}
    )["access_token"]
    auth = f"Authorization: Bearer {token}"
    close = "Connection: close"
    eu = {"endpoints": ["api.eu.amazonalexa.com"]}
    listener = f"127.0.0.1:{served.port}"

    by_host = exchange(
        served.port, request("GET", "/v1/alexaApiEndpoint", auth, close, host="api.eu.amazonalexa.com")
    )
    assert by_host.answer.json() == eu
    by_target = request(
        "GET", "http://api.eu.amazonalexa.com/v1/alexaApiEndpoint", auth, close, host=listener
    )
    assert exchange(served.port, by_target).answer.json() == eu
    plain = exchange(served.port, request("GET", "/v1/alexaApiEndpoint", auth, close, host=listener))
    assert plain.answer.json() == {"endpoints": [f"127.0.0.1:{served.eu_port}"]}


def test_an_absolute_form_target_is_served_like_its_path(served: Served) -> None:
    """RFC 9112 §3.2.2: a server accepts `GET http://host/path`; localexa proxies nothing."""
    answer = exchange(
        served.port, request("GET", "http://elsewhere.example/_localexa/health", "Connection: close")
    )
    assert answer.answer.status == 200
    assert answer.answer.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("path", "read_code"),
    [
        pytest.param("/auth/o2/token", lambda body: body["error"], id="lwa"),
        pytest.param("/v3/events", lambda body: body["payload"]["code"], id="event-gateway"),
    ],
)
def test_a_wire_refusal_has_each_apis_own_error_code(
    served: Served, path: str, read_code: Callable[[dict[str, Any]], str]
) -> None:
    """LWA answered `server_error` and the event gateway `INTERNAL_SERVICE_EXCEPTION` for a 414 or
    a 431: statuses their tables did not know, read as the server's fault."""
    for refused in (
        exchange(served.port, request("POST", f"{path}?{'a' * 64 * 1024}")),
        exchange(served.port, request("POST", path, f"X-Big: {'a' * 100 * 1024}")),
    ):
        assert refused.answer.status in (414, 431), refused
        code = read_code(refused.answer.json())
        assert code in ("invalid_request", "INVALID_REQUEST_EXCEPTION"), code


@pytest.mark.parametrize("codings", ["gzip", "gzip, deflate", "identity", ""])
def test_a_last_coding_other_than_chunked_is_only_the_parsers_400(served: Served, codings: str) -> None:
    """The client got the parser's 400 while the app, started on the complete head, journaled,
    logged and counted a 501 it never sent, under a request id the client never saw (QA of
    2026-12-06). Now the 400 is the only record: its log line carries the answer's request id,
    and no route sees the request."""
    path = f"/_localexa/te-probe-{codings.replace(' ', '').replace(',', '-') or 'empty'}"
    refused = exchange(served.port, request("POST", path, f"Transfer-Encoding: {codings}", body=b"abc"))
    answer = refused.answer
    assert answer.status == 400, refused
    assert "Transfer-Encoding" in answer.json()["message"]
    assert answer.closes
    assert refused.closed
    request_id = answer.headers["x-amzn-requestid"]
    deadline = time.monotonic() + 5
    while f"request_id={request_id} " not in served.log():
        assert time.monotonic() < deadline, served.log()[-3000:]
        time.sleep(0.05)
    lines = [line for line in served.log().splitlines() if f"request_id={request_id} " in line]
    assert [line for line in lines if "refused a request of" in line and "with 400:" in line], lines
    assert not [line for line in lines if "logger=localexa.access" in line], lines
    # A call the app does see, to the same path, is journaled after anything queued before it.
    headers = {"X-Localexa-Admin-Key": served.admin_key}
    assert httpx.get(f"{served.base_url}{path}", headers=headers, timeout=10).status_code == 404
    entries: list[dict[str, Any]] = []
    while not entries:
        assert time.monotonic() < deadline + 5
        journal = httpx.get(f"{served.base_url}/_localexa/journal", params={"path": path}, headers=headers)
        entries = journal.json()["entries"]
    assert [(entry["method"], entry["status"]) for entry in entries] == [("GET", 404)]
    logged = served.log().splitlines()
    assert not [line for line in logged if f"path={path} " in line and "status=501" in line]
