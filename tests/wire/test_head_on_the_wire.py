"""HEAD through a real `localexa serve` (uvicorn's httptools protocol and cli/wire.py's): the
answer is the GET's status line and header fields, `Content-Length` the length of the GET's body,
and not one byte of body, so the next answer on the keep-alive connection starts right after the
blank line (a stray body would be read as the start of it).
"""

from __future__ import annotations

import contextlib
import socket
import time

from tests.wire.conftest import CLIENT_TIMEOUT, Locker, Served
from tests.wire.raw import Answer, exchange, parse_answers, request

HEALTH = "/_localexa/health"
LOCKER = "/credentiallocker/v2/threadNetworks?extendedPanId=dead00beef00cafe"
OPENAPI = "/_localexa/openapi.json"


def answers_to(port: int, *requests: tuple[str, bytes], quiet: float = 0.3) -> list[Answer]:
    """Send the requests (method, bytes) on one connection, all at once (pipelined), and read
    their answers in order: a HEAD's has no body whatever its `Content-Length` (RFC 9110 §9.3.2),
    so its bytes end at the blank line. Then nothing more may come for `quiet` seconds."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"".join(raw for _, raw in requests))
        data = b""
        answers: list[Answer] = []
        deadline = time.monotonic() + 10
        for method, _ in requests:
            while True:
                parsed = _one(data, method)
                if parsed is not None:
                    answer, data = parsed
                    answers.append(answer)
                    break
                assert time.monotonic() < deadline, (answers, data)
                chunk = sock.recv(65536)
                assert chunk, ("closed early", answers, data)
                data += chunk
        sock.settimeout(quiet)
        with contextlib.suppress(TimeoutError):
            data += sock.recv(65536)
        assert data == b"", f"bytes after the last answer: {data[:200]!r}"
        return answers


def _one(data: bytes, method: str) -> tuple[Answer, bytes] | None:
    if b"\r\n\r\n" not in data:
        return None
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), f"not a status line: {lines[0]!r}"
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = 0 if method == "HEAD" or status in (204, 304) else int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None
    return Answer(status, headers, rest[:length]), rest[length:]


def test_head_answers_then_the_connection_serves_the_next_request(served: Served) -> None:
    head, get, again = answers_to(
        served.port,
        ("HEAD", request("HEAD", HEALTH)),
        ("GET", request("GET", HEALTH)),
        ("HEAD", request("HEAD", HEALTH)),
    )
    assert (head.status, get.status, again.status) == (200, 200, 200)
    assert get.body == b'{"status":"ok"}'
    assert head.headers["content-length"] == again.headers["content-length"] == str(len(get.body))
    assert head.headers["content-type"] == get.headers["content-type"] == "application/json"
    assert "transfer-encoding" not in head.headers
    assert head.headers["x-amzn-requestid"] != get.headers["x-amzn-requestid"]
    assert not head.closes


def test_large_and_changing_gets_are_headed_without_their_bytes(served: Served) -> None:
    """The OpenAPI document (~180 KB, far past a socket's buffer: FastAPI's own route) and
    `/metrics` (Prometheus text, an API route), each followed on the connection by its GET."""
    head, get, metrics, health = answers_to(
        served.port,
        ("HEAD", request("HEAD", OPENAPI)),
        ("GET", request("GET", OPENAPI)),
        ("HEAD", request("HEAD", "/metrics")),
        ("GET", request("GET", HEALTH)),
    )
    assert head.status == get.status == 200
    assert int(head.headers["content-length"]) == len(get.body) > 100_000
    assert get.json()["openapi"]
    assert metrics.status == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert int(metrics.headers["content-length"]) > 1000
    assert health.body == b'{"status":"ok"}'


def test_a_head_without_a_token_is_the_gets_401_then_a_read_with_one(served: Served, locker: Locker) -> None:
    token = f"Authorization: Bearer {locker.token}"
    refused, get_refused, head, get = answers_to(
        served.port,
        ("HEAD", request("HEAD", LOCKER)),
        ("GET", request("GET", LOCKER)),
        ("HEAD", request("HEAD", LOCKER, token)),
        ("GET", request("GET", LOCKER, token)),
    )
    assert refused.status == get_refused.status == 401
    assert refused.headers["content-length"] == str(len(get_refused.body))
    assert get_refused.json()["code"]  # the Credential Locker's {"code", "message"}
    assert head.status == get.status == 200
    assert head.headers["content-length"] == str(len(get.body))
    assert get.json() == {"threadNetworks": []}


def test_a_405_allows_head_with_get_and_a_head_of_a_post_only_path_has_no_body(served: Served) -> None:
    refused, head_refused, health = answers_to(
        served.port,
        ("POST", request("POST", HEALTH, "Content-Length: 0")),
        ("HEAD", request("HEAD", "/v3/events")),
        ("GET", request("GET", HEALTH)),
    )
    assert refused.status == 405
    assert refused.headers["allow"] == "GET, HEAD"
    assert refused.json() == {"message": "POST is not allowed on /_localexa/health."}
    assert head_refused.status == 405
    assert head_refused.headers["allow"] == "POST"
    assert int(head_refused.headers["content-length"]) > 0
    assert health.status == 200


def test_a_head_refused_on_the_wire_gets_the_refusals_header_fields_and_no_body(served: Served) -> None:
    """A 414 or 431 that the wire guard writes itself (cli/wire.py) is a HEAD's answer too: its
    status and header fields, `Content-Length` the refusal's length, not one byte after the blank
    line. A GET refused the same way keeps its body."""
    long_target = f"{LOCKER}&x={'a' * 64 * 1024}"
    for raw in (
        request("HEAD", long_target),
        request("HEAD", HEALTH, f"X-Big: {'a' * 70 * 1024}"),
    ):
        refused = exchange(served.port, raw)
        assert refused.closed
        head, _, after = refused.raw.partition(b"\r\n\r\n")
        assert head.startswith((b"HTTP/1.1 414 ", b"HTTP/1.1 431 ")), head[:40]
        length = [line for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
        assert int(length[0].split(b":")[1]) > 0, head
        assert after == b"", after[:80]
    got = exchange(served.port, request("GET", long_target))
    assert got.answer.status == 414
    assert got.answer.json()["code"] == "URI_TOO_LONG"


def test_a_head_cut_short_after_a_head_is_refused_with_its_body(served: Served) -> None:
    """The parser still holds the previous request's method until the next one's is read: a 408
    for a head that stopped at `GE` after a HEAD is a GET-like refusal, body included."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=CLIENT_TIMEOUT + 4) as sock:
        sock.sendall(request("HEAD", HEALTH) + b"GE")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head[:40]
    refusal = parse_answers(rest)
    assert [a.status for a in refusal] == [408], rest[:200]
    assert refusal[0].json()["message"]
