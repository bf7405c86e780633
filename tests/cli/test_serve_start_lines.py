"""What `localexa serve` prints as it starts: "listening" only once every listener answers, and
uvicorn's "Started server process" once per process.

"localexa listening" used to be printed before the app's start-up (migrations, the database, the
demo seed): a start-up that then failed (a missing PostgreSQL database) had already told the user
it was listening. And My Lights, a second uvicorn server in the same process, logged "Started
server process [pid]" a second time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from localexa.testing.ports import free_port_block

LISTENING = "localexa listening: "


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LOCALEXA_")}


@contextmanager
def serving(tmp_path: Path, port: int, *options: str) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    log = tmp_path / "serve.log"
    command = [
        sys.executable,
        "-m",
        "localexa",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path / "d"),
    ]
    with log.open("w") as out:
        process = subprocess.Popen([*command, *options], env=_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process, log
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_listening_is_printed_once_every_listener_answers(tmp_path: Path) -> None:
    port = free_port_block(size=4)
    with serving(tmp_path, port) as (process, log):
        deadline = time.monotonic() + 60
        while LISTENING not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        # Asked at once, no retry: the line is the moment a client may start.
        for offset, path in (
            (0, "/_localexa/health"),
            (1, "/_localexa/health"),
            (2, "/_localexa/health"),
            (3, "/health"),
        ):
            assert httpx.get(f"http://127.0.0.1:{port + offset}{path}").status_code == 200
        text = log.read_text()
    lines = text.splitlines()
    assert sum('msg="Started server process [' in line for line in lines) == 1, text
    start_done = next(i for i, line in enumerate(lines) if "Application startup complete." in line)
    listening = next(i for i, line in enumerate(lines) if line.startswith(LISTENING))
    assert start_done < listening, text
    # The block the README shows, together and in this order, after the demo's walk-through.
    assert lines[listening + 1].startswith("admin key: ")
    assert lines[listening + 2] == f"My Lights device cloud: http://127.0.0.1:{port + 3}"
    assert text.index("localexa demo: My Lights") < text.index(LISTENING)


def test_a_failed_start_up_never_says_listening(tmp_path: Path) -> None:
    """Nothing listens on port 1: the app's start-up fails connecting to its database."""
    port = free_port_block(size=4)
    database = "postgresql+asyncpg://postgres@127.0.0.1:1/none"
    with serving(tmp_path, port, "--database-url", database) as (process, log):
        assert process.wait(timeout=60) == 3, log.read_text()
    text = log.read_text()
    assert "cannot start: " in text, text
    assert "listening" not in text
    assert "My Lights device cloud" not in text
    assert "Traceback" not in text


def test_with_tls_my_lights_is_announced_as_https(tmp_path: Path) -> None:
    from localexa.cli.serve_listen import announcement
    from localexa.server.admin.demo import mylights_url
    from localexa.server.settings import Settings

    settings = Settings(data_dir=tmp_path, port=18500, tls=True, admin_key="k")
    assert "My Lights device cloud: https://127.0.0.1:18503" in announcement(settings)
    assert mylights_url(settings) == "https://127.0.0.1:18503"  # the demo skill's endpoint and URLs
    plain = Settings(data_dir=tmp_path, port=18500, admin_key="k")
    assert mylights_url(plain) == "http://127.0.0.1:18503"


def test_the_tls_hint_names_the_data_dir_when_it_is_not_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`localexa ca` reads ./.localexa unless told: as the hint said with another data dir, it
    made a CA of its own, which the server's certificate does not chain to (QA of 2026-12-06)."""
    from localexa.cli.serve_listen import announcement
    from localexa.server.settings import Settings

    monkeypatch.chdir(tmp_path)
    elsewhere = Settings(data_dir=tmp_path / "my data", port=18500, tls=True, admin_key="k")
    [hint] = [line for line in announcement(elsewhere) if line.startswith("TLS:")]
    assert f"(`localexa --data-dir '{tmp_path / 'my data'}' ca` shows how)" in hint
    default = Settings(data_dir=Path(".localexa"), port=18500, tls=True, admin_key="k")
    [hint] = [line for line in announcement(default) if line.startswith("TLS:")]
    assert hint.endswith("(`localexa ca` shows how)")


@pytest.mark.parametrize("host", ["::1", "::"])
def test_an_ipv6_host_is_announced_in_brackets(tmp_path: Path, host: str) -> None:
    """`--host ::1` was announced as `http://::1:18500`, no URL a browser or curl takes (clilows2,
    2026-12-07)."""
    from localexa.cli.serve_listen import announcement
    from localexa.server.settings import Settings

    settings = Settings(data_dir=tmp_path, host=host, port=18500, admin_key="k", demo=False)
    assert announcement(settings)[0] == (
        f"localexa listening: NA http://[{host}]:18500, EU http://[{host}]:18501, FE http://[{host}]:18502"
    )
