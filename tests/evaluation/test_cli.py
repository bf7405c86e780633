"""`localexa evaluations`: start a run, follow it, print the results (CliRunner, against a real
localexa server on 127.0.0.1 and a real skill server)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from typer.testing import CliRunner

from localexa.cli.main import app as cli
from localexa.server.app import create_app
from localexa.server.evaluation.plans import plan_id_for
from localexa.server.settings import Settings
from tests.evaluation.helpers import linked_developer
from tests.evaluation.skills import SkillServer
from tests.factories import Admin
from tests.servers import SERVED_LIMITS

ADMIN_KEY = "cli-admin-key"


@contextmanager
def localexa_server(tmp_path: Path) -> Iterator[str]:
    """localexa itself under uvicorn in a thread (SQLite in tmp_path), NA listener only."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = Settings(
        data_dir=tmp_path / "cli-data",
        demo=False,
        port=port,
        admin_key=ADMIN_KEY,
        password_hash_n=1024,
    )
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "localexa did not start"
        assert time.monotonic() < deadline, "localexa did not start in time"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


def invoke(url: str, token: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--url", url, "--token", token, "evaluations", *args])
    return result.exit_code, result.output


async def test_run_follows_the_run_and_shows_actual_vs_expected(
    tmp_path: Path, dim_liar: SkillServer, mylights: SkillServer
) -> None:
    with localexa_server(tmp_path) as url:
        async with httpx.AsyncClient(limits=SERVED_LIMITS, base_url=url) as client:
            admin = Admin(client, ADMIN_KEY)
            liar = await linked_developer(client, admin, dim_liar)
            good = await linked_developer(client, admin, mylights)
        skill = liar.skill.skill_id

        code, output = invoke(url, liar.token, "plans", skill)
        assert code == 0, output
        assert "BrightnessController" in output
        assert "ThermostatHeat_FAHRENHEIT" in output

        code, output = invoke(
            url, liar.token, "run", skill, "--plan", "BrightnessController", "--endpoint", "porch"
        )
        assert code == 1, output
        assert ": FAILED" in output
        assert "4 passed, 2 failed, 0 errors of 6" in output
        rows = {line.split("│")[1].strip(): line for line in output.splitlines() if line.startswith("│ Bri_")}
        assert sorted(n for n, line in rows.items() if "FAILED" in line) == ["Bri_1.0", "Bri_2.0"]
        assert "brightness: expected EQUAL_TO 25" in output  # the server's own reasons
        assert "got 50" in output

        evaluation_id = next(line.split()[-1] for line in output.splitlines() if line.startswith("started"))
        code, output = invoke(url, liar.token, "status", skill, evaluation_id)
        assert code == 1
        assert "FAILED" in output
        code, output = invoke(url, liar.token, "list", skill)
        assert code == 0
        assert evaluation_id[:8] in output

        code, output = invoke(
            url, good.token, "run", good.skill.skill_id, "--plan", "powercontroller", "--endpoint", "kitchen"
        )
        assert code == 0, output
        assert "4 passed, 0 failed, 0 errors of 4" in output

        code, output = invoke(
            url, good.token, "run", good.skill.skill_id, "--plan", "Nope", "--endpoint", "kitchen"
        )
        assert code == 1
        assert "NO_SUCH_TEST_PLAN" in output

        code, output = invoke(url, "Atza|bogus", "plans", skill)
        assert code == 4  # authentication (cli/output.py)
        assert "401" in output

        code, output = invoke(url, liar.token, "plans", skill, "--json")
        assert code == 0
        assert {"id": plan_id_for("PowerController"), "name": "PowerController"} in json.loads(output)

        code, output = invoke(
            url, liar.token, "run", skill, "-p", "PowerController", "-e", "porch", "--no-wait"
        )
        assert code == 0
        assert len(output.strip()) == 36  # just the new run's id, for $(...)
