"""Bodies on the wire: shorter than announced, cut off, abandoned, refused before they are sent.

The write used is the Credential Locker's `PUT` of a Thread network; whether it happened is
checked through its `GET`, as a client would."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx

from tests.wire.conftest import CLIENT_TIMEOUT, Locker, Served
from tests.wire.raw import exchange, parse_answers, read_until_closed, request

LOCKER = "/credentiallocker/v2/threadNetworks"
SLACK = 4.0


def network(pan: str) -> bytes:
    return json.dumps(
        {
            "threadNetwork": {
                "extendedPanId": pan,
                "networkName": "Wire",
                "networkKey": "00112233445566778899aabbccddeeff",
                "panId": "1234",
            }
        }
    ).encode()


def put(locker: Locker, body: bytes, *headers: str, length: int | None = None) -> bytes:
    """The PUT's head, announcing `length` bytes (the body's own length by default), and `body`."""
    announced = len(body) if length is None else length
    return request(
        "PUT",
        LOCKER,
        f"Authorization: Bearer {locker.token}",
        "Content-Type: application/json",
        f"Content-Length: {announced}",
        *headers,
        body=body,
    )


def stored(served: Served, locker: Locker, pan: str) -> list[dict[str, object]]:
    response = httpx.get(
        f"{served.base_url}{LOCKER}", params={"extendedPanId": pan}, headers=locker.headers(), timeout=10
    )
    assert response.status_code == 200, response.text
    networks: list[dict[str, object]] = response.json()["threadNetworks"]
    return networks


def access_line(served: Served, since: int, what: str) -> str:
    """The access log line of the call `what` names, once it is logged (within a few seconds)."""
    deadline = time.monotonic() + SLACK
    while time.monotonic() < deadline:
        with served.log_path.open("rb") as log:
            log.seek(since)
            for line in log.read().decode(errors="replace").splitlines():
                if "logger=localexa.access" in line and what in line:
                    return line
        time.sleep(0.05)
    raise AssertionError(f"no access line for {what}")


def test_a_body_shorter_than_its_content_length_is_a_408_and_nothing_is_stored(
    served: Served, locker: Locker
) -> None:
    pan = "aaaaaaaa00000001"
    body = network(pan)
    stalled = exchange(served.port, put(locker, body, length=len(body) + 10), timeout=CLIENT_TIMEOUT + SLACK)
    answer = stalled.answer
    assert answer.status == 408, stalled
    assert answer.json()["code"] == "REQUEST_TIMEOUT"
    assert "stopped arriving" in answer.json()["message"]
    assert answer.closes
    assert stalled.closed
    assert stored(served, locker, pan) == []


def journal_entries(served: Served, **params: str) -> list[dict[str, Any]]:
    """The journal's entries that `params` (the journal API's filters) select, newest first."""
    response = httpx.get(
        f"{served.base_url}/_localexa/journal",
        params=params,
        headers={"X-Localexa-Admin-Key": served.admin_key},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def cut_off_entries(served: Served) -> list[dict[str, Any]]:
    """The journal's entries of locker calls cut off mid-body, newest first."""
    entries = journal_entries(served, path=LOCKER)
    return [e for e in entries if e["method"] == "PUT" and (e["error"] or "").startswith("cut off")]


def test_a_body_cut_off_by_its_client_writes_nothing_and_is_no_bug(served: Served, locker: Locker) -> None:
    """Starlette's ClientDisconnect reached the log as a bug: a traceback and a 500. Then the
    access line said `status=400`, an answer nobody got (since 2026-12-06: it says cut off)."""
    pan = "aaaaaaaa00000002"
    body = network(pan)
    since = served.log_path.stat().st_size
    before = len(cut_off_entries(served))
    with socket.create_connection(("127.0.0.1", served.port)) as sock:
        sock.sendall(put(locker, body[: len(body) // 2], length=len(body)))
        time.sleep(0.2)  # the handler is reading the body
    line = access_line(served, since, "method=PUT")
    assert "status=- " in line, line
    assert "cut off: the connection ended before" in line, line
    assert "level=info" in line
    assert stored(served, locker, pan) == []
    entries = cut_off_entries(served)
    assert len(entries) == before + 1, entries
    assert entries[0]["status"] is None, entries[0]  # no answer: the guard's 400 reached nobody
    assert not entries[0]["responseBody"], entries[0]
    assert not entries[0]["responseHeaders"], entries[0]


def test_a_body_the_wire_answered_itself_leaves_no_second_status(served: Served, locker: Locker) -> None:
    """The wire answers a running request itself when its body breaks (a bad chunk's 400; the
    stop's 503 the same way): its line carries the request id its client got. The app's access
    line said `status=400` under another id, for a 400 nobody got; now it says the request was
    cut off, with no status (the wire's line is the one that says what the client got). And one
    id for the request: the wire answered and logged under a new one of its own, so the id the
    client got found neither the app's access line nor its journal entry."""
    since = served.log_path.stat().st_size
    head = request(
        "PUT",
        LOCKER,
        f"Authorization: Bearer {locker.token}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    broken = exchange(served.port, head + b"1\r\n{\r\n", 0.2, b"zz\r\n")
    answer = broken.answer
    assert answer.status == 400, broken
    assert "Invalid character in chunk size" in answer.json()["message"]
    request_id = answer.headers["x-amzn-requestid"]
    line = access_line(served, since, "method=PUT")
    assert "status=- " in line, line
    assert "cut off" in line, line
    assert f"request_id={request_id} " in line, (request_id, line)
    (entry,) = journal_entries(served, requestId=request_id)
    assert (entry["method"], entry["path"], entry["status"]) == ("PUT", LOCKER, None), entry
    assert entry["error"].startswith("cut off"), entry
    with served.log_path.open("rb") as log:
        log.seek(since)
        added = log.read().decode(errors="replace").splitlines()
    refused = [entry for entry in added if "logger=localexa.serve" in entry and "refused a" in entry]
    assert len(refused) == 1, added
    assert f"request_id={request_id} " in refused[0], refused
    assert "with 400" in refused[0], refused
    statuses = [entry for entry in added if "logger=localexa.access" in entry and "status=4" in entry]
    assert statuses == [], statuses  # one status for the request: the wire's, which the client got


def test_a_body_broken_before_the_app_began_is_refused_by_the_wire_alone(
    served: Served, locker: Locker
) -> None:
    """A bad chunk in the same packet as its head is refused before the app has begun the
    request: the app then ran it all the same, under a request id of its own, and logged (and
    journaled) an answer nobody got (a 401 or a 400 `status=` line) beside the wire's 400 under
    another id. Now the app never runs it: the one line about the request is the wire's, under
    the id the client got, and nothing of it is journaled, as for the other wire refusals."""
    since = served.log_path.stat().st_size
    head = request(
        "PUT",
        LOCKER,
        f"Authorization: Bearer {locker.token}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    )
    broken = exchange(served.port, head + b"zz\r\n")
    answer = broken.answer
    assert answer.status == 400, broken
    assert "Invalid character in chunk size" in answer.json()["message"]
    request_id = answer.headers["x-amzn-requestid"]
    time.sleep(0.5)  # an app that ran it would have logged by now
    with served.log_path.open("rb") as log:
        log.seek(since)
        added = log.read().decode(errors="replace").splitlines()
    refused = [line for line in added if "logger=localexa.serve" in line and "refused a" in line]
    assert len(refused) == 1, added
    assert f"request_id={request_id} " in refused[0], refused
    accessed = [line for line in added if "logger=localexa.access" in line and "method=PUT" in line]
    assert accessed == [], accessed  # the app never ran it: no second status, no other id
    assert journal_entries(served, requestId=request_id) == []


def test_a_request_sent_whole_and_abandoned_is_done_once_or_not_at_all(
    served: Served, locker: Locker
) -> None:
    pans = [f"aaaaaaab{n:08d}" for n in range(10)]
    for pan in pans:
        with socket.create_connection(("127.0.0.1", served.port)) as sock:
            sock.sendall(put(locker, network(pan)))  # and leave without reading
    for pan in pans:
        again = httpx.put(
            f"{served.base_url}{LOCKER}",
            content=network(pan),
            headers={**locker.headers(), "Content-Type": "application/json"},
            timeout=10,
        )
        assert again.status_code in (200, 409), again.text  # 409: the abandoned one was stored
        (kept,) = stored(served, locker, pan)
        assert kept["networkKey"] == "00112233445566778899aabbccddeeff"
        assert kept["panId"] == "1234"


def test_expect_100_continue_refused_before_the_body_closes_the_connection(
    served: Served, locker: Locker
) -> None:
    """Answered without `100 Continue`, the client sends no body; on a connection left open, its
    next request was read as that body (RFC 9110 §10.1.1: say whether the connection stays)."""
    too_large = exchange(served.port, put(locker, b"", "Expect: 100-continue", length=5_000_000))
    assert [answer.status for answer in too_large.answers] == [413]
    assert too_large.answer.closes
    assert too_large.closed

    no_token = request(
        "PUT", LOCKER, "Content-Type: application/json", "Content-Length: 20", "Expect: 100-continue"
    )
    unauthorized = exchange(served.port, no_token)
    assert [answer.status for answer in unauthorized.answers] == [401]
    assert unauthorized.answer.closes
    assert unauthorized.closed


def test_expect_100_continue_accepted_gets_100_then_the_answer(served: Served, locker: Locker) -> None:
    pan = "aaaaaaaa00000003"
    body = network(pan)
    accepted = exchange(
        served.port,
        put(locker, b"", "Expect: 100-continue", "Connection: close", length=len(body)),
        0.3,
        body,
    )
    assert [answer.status for answer in accepted.answers] == [100, 200]
    assert len(stored(served, locker, pan)) == 1


def test_a_chunked_body_past_the_cap_is_a_413_and_the_connection_goes_on(
    served: Served, locker: Locker
) -> None:
    chunk = b"a" * 0x100000
    chunked = request(
        "PUT",
        LOCKER,
        f"Authorization: Bearer {locker.token}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
        body=b"100000\r\n" + chunk + b"\r\n100000\r\n" + chunk + b"\r\n0\r\n\r\n",
    )
    both = exchange(served.port, chunked + request("GET", "/_localexa/health", "Connection: close"))
    assert [answer.status for answer in both.answers] == [413, 200]
    assert both.answers[0].json()["code"] == "REQUEST_ENTITY_TOO_LARGE"


def test_a_client_that_half_closes_after_its_request_gets_its_answer(served: Served, locker: Locker) -> None:
    """`shutdown(SHUT_WR)` after a whole request (`nc -N`, some HTTP/1.0 clients): uvicorn closed
    at once, so a call still running (here delayed 300 ms by a fault) lost its answer, and its
    handler, reading a body from a client gone, was a 500."""
    served.admin("faults", {"method": "PUT", "path": LOCKER, "delayMs": 300, "count": 1})
    pan = "aaaaaaaa00000004"
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(put(locker, network(pan)))
        sock.shutdown(socket.SHUT_WR)
        data, closed = read_until_closed(sock, 5.0)
    assert [answer.status for answer in parse_answers(data)] == [200], data
    assert closed
    assert len(stored(served, locker, pan)) == 1


def test_a_body_that_trickles_in_is_refused_once_it_takes_three_client_timeouts(
    served: Served, locker: Locker
) -> None:
    """One byte every few seconds, never a pause as long as the client timeout: nothing ended it,
    and slow bodies on every connection the server takes held all its slots for ever."""
    pan = "aaaaaaaa00000009"
    body = network(pan)
    head = put(locker, b"", length=len(body))
    pause = CLIENT_TIMEOUT / 2  # each pause allowed on its own
    trickle: list[bytes | float] = [head]
    for byte in body[: int(4 * CLIENT_TIMEOUT / pause)]:  # ~4 client timeouts of trickling
        trickle += [pause, bytes([byte])]
    started = time.monotonic()
    slow = exchange(served.port, *trickle, timeout=CLIENT_TIMEOUT + SLACK)
    answer = slow.answer
    assert answer.status == 408, slow
    assert "took longer than 3 s" in answer.json()["message"]
    assert answer.closes
    assert time.monotonic() - started < 4 * CLIENT_TIMEOUT + SLACK
    assert stored(served, locker, pan) == []
