"""`LOCALEXA_TEST_PORTS` keeps every port the kit listens on in a range of the user's: the kit
drew from 20000–32000 and the linking stub took any free port, so a CI host that opens only some
ports had to monkeypatch the kit (QA of 2026-12-05)."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from localexa.testing import AccountLinkingStub, LocalexaServer, LocalexaServerError
from localexa.testing.ports import PORTS_VARIABLE, free_port_block, port_range

LOW, HIGH = 19000, 19099  # below the kit's default range and the kernel's ephemeral ports


def test_the_server_and_the_stub_listen_in_the_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORTS_VARIABLE, f"{LOW}-{HIGH}")
    with LocalexaServer() as server, AccountLinkingStub() as stub:
        ports = [urlsplit(server.url).port, urlsplit(stub.token_url).port]
        assert all(port is not None and LOW <= port <= HIGH for port in ports), ports
        assert httpx.get(f"{server.url}/_localexa/health").status_code == 200


def test_blocks_stay_inside_the_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORTS_VARIABLE, " 19010-19013 ")
    assert port_range() == (19010, 19013)
    for _ in range(20):
        assert 19010 <= free_port_block(size=3) <= 19011


@pytest.mark.parametrize(
    "value", ["19000", "19100-19000", "0-10", "a-b", "19000-70000", "19000:19100", "²-³", "1٠-2٠"]
)
def test_a_value_that_is_no_range_is_an_error_saying_so(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(PORTS_VARIABLE, value)
    with pytest.raises(ValueError, match=PORTS_VARIABLE):
        free_port_block()


def test_a_range_too_small_for_the_block_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORTS_VARIABLE, "19000-19001")
    with pytest.raises(ValueError, match="fewer than the 3 ports"):
        free_port_block(size=3)


def test_without_the_variable_the_range_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PORTS_VARIABLE, raising=False)
    assert port_range() == (20000, 31999)


def test_a_port_a_closed_connection_left_in_time_wait_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """The servers bind with SO_REUSEADDR, so such a port is theirs: a narrow range failed for
    about 60 s after each run (re-verification of 2026-12-05)."""
    import socket

    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        listener.listen()
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()  # the server side closes first: its port stays in TIME_WAIT
        client.close()
    monkeypatch.setenv(PORTS_VARIABLE, f"{port}-{port}")
    assert free_port_block(size=1) == port


def test_a_start_that_finds_no_free_ports_is_a_server_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until 2026-12-06 the start raised free_port_block's bare OSError, although LocalexaServer
    promises LocalexaServerError for a start that fails."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port_block(size=1)))
        port = taken.getsockname()[1]
        taken.listen()
        monkeypatch.setenv(PORTS_VARIABLE, f"{port - 1}-{port + 1}")  # its one block holds `port`
        server = LocalexaServer()
        with pytest.raises(LocalexaServerError, match=rf"no 3 consecutive free ports.*{PORTS_VARIABLE}"):
            server.start()
    assert not server.running
    assert not server.data_dir.exists()


def test_a_server_start_in_a_range_too_small_is_a_server_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """README: a start that finds no three neighbouring free ports (`LOCALEXA_TEST_PORTS` too
    narrow, or taken) raises LocalexaServerError; too narrow was a ValueError until 2026-12-06."""
    monkeypatch.setenv(PORTS_VARIABLE, "19000-19001")
    server = LocalexaServer(data_dir=tmp_path / "data")
    with pytest.raises(LocalexaServerError, match="fewer than the 3 ports"):
        server.start()
    assert not (tmp_path / "data").exists()  # checked before anything is made
