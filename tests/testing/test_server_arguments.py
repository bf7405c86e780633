"""`LocalexaServer`'s `host` and `startup_timeout` are checked as the server is made (cliq QA of
2026-12-07): `host="999.1.1.1"` failed only at the start, after 200 bind attempts, with "no 3
consecutive free ports found on 999.1.1.1", and `startup_timeout=0` was taken, so the start failed
with "did not answer within 0 s". An IPv6 host's URLs carry it in brackets (`http://[::1]:…`):
they were `http://::1:…`, so a start on `host="::1"` never saw its own server answer."""

from __future__ import annotations

import socket

import httpx
import pytest

from localexa.testing import LocalexaServer
from localexa.testing.arguments import url_host


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("999.1.1.1", "Name or service not known"),
        ("no-such-host.invalid", "Name or service not known"),
        ("192.0.2.1", "Cannot assign requested address"),  # TEST-NET-1: no interface of ours
    ],
)
def test_a_host_this_machine_cannot_listen_on_is_refused_up_front(host: str, reason: str) -> None:
    with pytest.raises(ValueError, match=r"^host=") as info:
        LocalexaServer(host=host)
    assert str(info.value) == (
        f"host={host!r} is not an address this machine can listen on ({reason}): give one such as "
        "127.0.0.1 (the default), ::1, localhost or 0.0.0.0"
    )


def test_an_empty_host_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^host='' is no address to listen on: give one such as 127"):
        LocalexaServer(host="")


def test_a_host_that_is_no_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^host must be a str such as 127\.0\.0\.1 .*, not int$"):
        LocalexaServer(host=127001)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds", [0, 0.0, -1, float("nan"), float("inf")])
def test_a_startup_timeout_that_is_no_time_to_wait_is_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match=r"^startup_timeout ") as info:
        LocalexaServer(startup_timeout=seconds)
    assert str(info.value) == (
        "startup_timeout must be a finite number of seconds above 0 (a start takes 1.5-3 s; the "
        f"default is 60), not {seconds!r}"
    )


@pytest.mark.parametrize("seconds", ["60", None, True])
def test_a_startup_timeout_that_is_no_number_is_a_type_error(seconds: object) -> None:
    with pytest.raises(TypeError, match=r"^startup_timeout must be a number of seconds, not "):
        LocalexaServer(startup_timeout=seconds)  # type: ignore[arg-type]


def test_good_arguments_are_kept() -> None:
    server = LocalexaServer(host="localhost", startup_timeout=5)
    assert server.host == "localhost"
    assert repr(server) == "LocalexaServer(url=None, running=False)"


def test_url_host_brackets_an_ipv6_address() -> None:
    assert [url_host(h) for h in ("::1", "[::1]", "127.0.0.1", "localhost")] == [
        "[::1]",
        "[::1]",
        "127.0.0.1",
        "localhost",
    ]


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_a_server_on_the_ipv6_loopback_starts_and_answers() -> None:
    with LocalexaServer(host="::1", startup_timeout=30) as server:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(f"{server.url}/_localexa/health", timeout=10).status_code == 200
        with server.client() as client:
            assert client.admin.customers.list() == []
