"""Amazon's own Python SMAPI SDK (`ask-smapi-model`) drives the evaluation API end to end: its
models deserialize every answer, its `str()`-ed datetimes (`2024-01-01 00:00:00+00:00`) filter the
list, and a 409 arrives as the `Error` model. The SDK refuses plain HTTP, so the server runs with
`--tls` and the SDK trusts its CA through REQUESTS_CA_BUNDLE (spec §6)."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from localexa.server.evaluation.plans import plan_id_for
from tests.evaluation.helpers import READWRITE, linked_developer
from tests.evaluation.processes import ADMIN_KEY, server_process
from tests.evaluation.skills import SkillServer
from tests.factories import Admin
from tests.servers import SERVED_LIMITS

pytestmark = pytest.mark.slow

SDK_SCRIPT = Path(__file__).with_name("amazon_sdk_client.py")


async def test_the_amazon_sdk_runs_an_evaluation(tmp_path: Path, mylights: SkillServer) -> None:
    data_dir = tmp_path / "tls"
    with server_process(data_dir, tls=True) as (_, url):
        ca_file = str(data_dir / "tls" / "ca.pem")
        trust = ssl.create_default_context(cafile=ca_file)
        async with httpx.AsyncClient(limits=SERVED_LIMITS, base_url=url, verify=trust, timeout=30) as client:
            admin = Admin(client, ADMIN_KEY)
            dev = await linked_developer(client, admin, mylights)
            client_id, client_secret = await admin.lwa_client()
            pair = await admin.tokens(client_id, dev.customer.user_id, [READWRITE])
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALEXA_")}
        env["REQUESTS_CA_BUNDLE"] = ca_file
        plan_id = plan_id_for("PowerController")
        arguments = [url, client_id, client_secret, pair["refresh_token"], dev.skill.skill_id, plan_id]
        command = [sys.executable, str(SDK_SCRIPT), *arguments]
        done = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout)
    assert out["plans"] == [
        "BrightnessController",
        "ColorController",
        "ColorTemperatureController",
        "PowerController",
    ]
    assert out["total"] == 9
    assert out["busy"] == {
        "status": 409,
        "message": "A test run is already in progress for the specified endpoint",
    }
    assert out["status"] == "PASSED"
    assert out["metrics"] == {"PowerController": 4}
    assert out["ended_after_start"] is True
    assert out["results"] == [["Pwr_1.0", "PASSED"], ["Pwr_1.1", "PASSED"], ["Pwr_1.2", "PASSED"]]
    assert out["next"] is True
    assert out["listed"] == [[out["id"], plan_id, "PASSED"]]
    assert out["missing"] == {"status": 404, "violations": 1}
