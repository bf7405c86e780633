"""The request line on the wire, answered as RFC 9110 and 9112 ask: a method nobody here knows is
a 501 (it was the parser's 400), an HTTP version other than 1.x a 505 (HTTP/2.0 and 0.9 were
served as 1.1, 3.0 and 1.2 were a 400), `*` is for OPTIONS only (both were a 404 for the path
`*`); an HTTP/1.0 client gets no `100 Continue`, and a 413 that closes the connection says so.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from localexa.cli.wire import LINGER_SECONDS
from tests.wire.conftest import Served
from tests.wire.raw import exchange, request
from tests.wire.test_head_on_the_wire import answers_to

HEALTH = "/_localexa/health"
LOCKER = "/credentiallocker/v2/threadNetworks?extendedPanId=1"
SLACK = 4.0


def refused_with(served: Served, raw: bytes, status: int) -> dict[str, Any]:
    """The body of the refusal `raw` gets, which must close the connection; the server then
    answers a new client at once."""
    refused = exchange(served.port, raw)
    answer = refused.answer
    assert answer.status == status, refused
    assert answer.closes
    assert refused.closed
    assert served.health_now() == 200
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        pytest.param(b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", "The method 'FOO' is not implemented", id="FOO"),
        pytest.param(
            b"get / HTTP/1.1\r\nHost: x\r\n\r\n", "case-sensitive (RFC 9110 §9.1); send 'GET'", id="get"
        ),
        pytest.param(
            request("GET", HEALTH) + b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n",
            "The method 'BREW' is not implemented",
            id="pipelined-after-a-GET",
        ),
        pytest.param(
            b"X" * 45 + b" / HTTP/1.1\r\nHost: x\r\n\r\n",
            f"The method '{'X' * 40}'… is not implemented here",
            id="cut-after-its-quote",
        ),
    ],
)
def test_a_method_nobody_here_knows_is_a_501_naming_it(served: Served, raw: bytes, says: str) -> None:
    """RFC 9110 §9.1: 501 for a method the server does not recognise; methods are case-sensitive,
    so `get` is one. The 400 stays for bytes that are not a request line (test_heads.py)."""
    refused = exchange(served.port, raw)
    assert [answer.status for answer in refused.answers][-1] == 501, refused
    answer = refused.answers[-1]
    assert says in answer.json()["message"]  # `/` and `/pot` speak the admin shape, {"message"}
    assert answer.closes
    assert refused.closed
    assert "with 501: The method" in served.log()  # logged as the wire's 414 and 431 are


EVALUATIONS = "/v1/skills/amzn1.ask.skill.x/smartHome/testing/capabilityEvaluations"
#: What each family's 501 says of the method, and where: LWA's error_description has no `§`.
UNKNOWN_METHOD = "The method 'FOO' is not implemented here (RFC 9110 §9.1)"


def _refused_count(served: Served, status: int) -> float:
    text = httpx.get(f"{served.base_url}/metrics", timeout=10).text
    found = re.search(rf'^localexa_http_refused_total\{{status="{status}"\}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.mark.parametrize(
    ("raw", "shape"),
    [
        pytest.param(b"FOO /auth/o2/token HTTP/1.1\r\nHost: x\r\n\r\n", "lwa", id="lwa-token"),
        pytest.param(
            f"FOO {EVALUATIONS} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), "evaluation", id="evaluation"
        ),
        pytest.param(f"FOO {LOCKER} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), "code", id="credential-locker"),
        pytest.param(b"FOO /v3/events HTTP/1.1\r\nHost: x\r\n\r\n", "events", id="event-gateway"),
        pytest.param(b"FOO http://x/auth/o2/token HTTP/1.1\r\nHost: x\r\n\r\n", "lwa", id="absolute-form"),
        pytest.param(b"FOO /auth/o2/token", "lwa", id="line-cut-short"),
        pytest.param(request("GET", HEALTH) + b"FOO /auth/o2/token HTTP/1.1\r\n\r\n", "lwa", id="pipelined"),
    ],
)
def test_a_501_takes_the_shape_of_the_api_its_path_names(served: Served, raw: bytes, shape: str) -> None:
    """The parser refuses the method before it reads the target, so the guard answered every API
    with `/`'s `{"message"}` (rev5 QA: `curl -X FOO …/auth/o2/token`); the refused line's own
    target now picks the family, as for the wire's 414 and 431. One log line and one count, under
    the request id of the answer; no journal entry (no route saw it)."""
    before = _refused_count(served, 501)
    refused = exchange(served.port, raw)
    answer = refused.answers[-1]
    assert answer.status == 501, refused
    body = answer.json()
    if shape == "lwa":
        assert body == {
            "error": "invalid_request",
            "error_description": UNKNOWN_METHOD.replace("§", "section ") + "; localexa serves GET, HEAD, "
            "POST, PUT, DELETE.",
        }
    elif shape == "events":
        assert body["payload"]["code"] == "INVALID_REQUEST_EXCEPTION", body
        assert body["payload"]["description"].startswith(UNKNOWN_METHOD), body
    else:
        assert body["message"].startswith(UNKNOWN_METHOD), body
        assert body["code"] == "NOT_IMPLEMENTED", body
        if shape == "evaluation":
            assert body["violations"] == [{"code": body["code"], "message": body["message"]}], body
        else:
            assert "violations" not in body
    request_id = answer.headers["x-amzn-requestid"]
    logged = [line for line in served.log().splitlines() if f"request_id={request_id}" in line]
    assert len(logged) == 1, logged
    assert "with 501: The method 'FOO'" in logged[0], logged
    assert _refused_count(served, 501) == before + 1
    journal = httpx.get(
        f"{served.base_url}/_localexa/journal",
        params={"requestId": request_id},
        headers={"X-Localexa-Admin-Key": served.admin_key},
        timeout=10,
    )
    assert journal.status_code == 200, journal.text
    assert request_id not in journal.text


@pytest.mark.parametrize(
    "raw", [b"hello world\r\n\r\n", b"<GET> / HTTP/1.1\r\nHost: x\r\n\r\n"], ids=["words", "not-a-token"]
)
def test_a_line_that_is_not_a_request_line_is_still_a_400(served: Served, raw: bytes) -> None:
    body = refused_with(served, raw, 400)
    assert body["message"].startswith("The request is not valid HTTP/1.1")


@pytest.mark.parametrize("version", ["2.0", "3.0", "0.9"])
def test_an_http_version_other_than_1_x_is_a_505(served: Served, version: str) -> None:
    """RFC 9110 §15.6.6; the answer says what this port speaks, in the API's shape (here the
    Credential Locker's `{"code", "message"}`)."""
    body = refused_with(served, f"GET {LOCKER} HTTP/{version}\r\nHost: x\r\n\r\n".encode(), 505)
    assert body["code"] == "HTTP_VERSION_NOT_SUPPORTED"
    assert "This port speaks HTTP/1.1" in body["message"]


def test_a_505_to_a_head_has_no_body(served: Served) -> None:
    (answer,) = answers_to(served.port, ("HEAD", f"HEAD {HEALTH} HTTP/2.0\r\nHost: x\r\n\r\n".encode()))
    assert answer.status == 505
    assert int(answer.headers["content-length"]) > 0
    assert answer.body == b""


def test_the_http2_connection_preface_is_a_505_saying_http2_is_not_offered(served: Served) -> None:
    """An HTTP/2 client with prior knowledge (RFC 9113 §3.3) sends the preface, then SETTINGS."""
    settings_frame = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    body = refused_with(served, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings_frame, 505)
    assert "HTTP/2 is not offered" in body["message"]
    assert "h2c" in body["message"]


def test_http_1_2_is_served_as_http_1_1(served: Served) -> None:
    """RFC 9112 §2.3: a 1.x request of a minor version above 1 is served as the highest 1.x, with
    its rules: the connection stays open, and Host is required."""
    both = exchange(
        served.port,
        f"GET {HEALTH} HTTP/1.2\r\nHost: x\r\n\r\n".encode() + request("GET", HEALTH, "Connection: close"),
    )
    assert [answer.status for answer in both.answers] == [200, 200], both
    assert not both.answers[0].closes
    no_host = exchange(served.port, f"GET {HEALTH} HTTP/1.2\r\nConnection: close\r\n\r\n".encode())
    assert no_host.answer.status == 400
    assert "exactly one (RFC 9112 §3.2)" in no_host.answer.json()["message"]


def test_expect_100_continue_from_an_http_1_0_client_gets_no_100(served: Served) -> None:
    """RFC 9110 §10.1.1: a server MUST NOT send a 100 to an HTTP/1.0 client; it sends its body
    after a pause, and gets the one answer."""
    body = b'{"name": "Old", "email": "old-wire@example.com", "password": "pw123456"}'
    head = (
        f"POST /_localexa/customers HTTP/1.0\r\nX-Localexa-Admin-Key: {served.admin_key}\r\n"
        f"Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    created = exchange(served.port, head.encode(), 0.3, body)
    assert [answer.status for answer in created.answers] == [201], created


def test_a_413_for_a_declared_length_says_connection_close_and_is_read_before_the_close(
    served: Served,
) -> None:
    """Nobody reads a body over the cap: the 413 says `Connection: close` (it closed at the idle
    timeout without saying so), what the client still sends is read and dropped for the linger, so
    it reads the answer rather than a reset, and a request pipelined after it is not served."""
    announced = 5_000_000
    head = request(
        "POST",
        "/_localexa/customers",
        f"X-Localexa-Admin-Key: {served.admin_key}",
        "Content-Type: application/json",
        f"Content-Length: {announced}",
    )
    parts: list[bytes | float] = [head]
    for _ in range(5):  # on for a while after the answer
        parts += [b"a" * 200_000, 0.1]
    refused = exchange(served.port, *parts, request("GET", HEALTH), timeout=LINGER_SECONDS + SLACK)
    assert [answer.status for answer in refused.answers] == [413], refused
    assert refused.answer.json()["message"] == "The request body is larger than 1048576 bytes."
    assert refused.answer.closes
    assert refused.closed


def test_options_asterisk_asks_about_the_server_and_is_a_200_listing_its_methods(served: Served) -> None:
    """RFC 9110 §9.3.7: no content, so `Content-Length: 0`; the connection goes on. No route
    answers OPTIONS (a path's OPTIONS is its 405), so `Allow` lists the routes' methods."""
    both = exchange(
        served.port,
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n" + request("GET", HEALTH, "Connection: close"),
    )
    assert [answer.status for answer in both.answers] == [200, 200], both
    options = both.answers[0]
    assert options.headers["allow"] == "GET, HEAD, POST, PUT, DELETE"
    assert options.headers["content-length"] == "0"
    assert not options.closes


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_the_asterisk_with_another_method_is_a_400_and_journaled(served: Served, method: str) -> None:
    """RFC 9112 §3.2.4: the asterisk form is for OPTIONS only. The request guard answers it, so
    the journal and the metrics see it as they see its other refusals."""
    refused = exchange(served.port, f"{method} * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert refused.answer.status == 400, refused
    assert "only OPTIONS may (RFC 9112 §3.2.4)" in refused.answer.json()["message"]
    admin = {"X-Localexa-Admin-Key": served.admin_key}
    deadline = time.monotonic() + SLACK
    while True:
        entries = httpx.get(f"{served.base_url}/_localexa/journal", headers=admin, timeout=10).json()[
            "entries"
        ]
        if any(entry["method"] == method and entry["path"] == "*" for entry in entries):
            break
        assert time.monotonic() < deadline, entries
        time.sleep(0.1)
