"""`localexa serve --tls` with the demo (on by default): My Lights calls this server's LWA over
https:// for AcceptGrant, so the skill kit in the server process must trust localexa's own CA
(it refused the certificate and AcceptGrant FAILED). My Lights speaks HTTPS too (admin-api.md:
with --tls "every listener speaks HTTPS"; it was plain http), and localexa's token exchange and
directives reach it trusting localexa's CA."""

from __future__ import annotations

import json
import ssl
import time
from pathlib import Path

import httpx
import pytest

from tests.demo.test_walkthrough import _free_base_port, enable_and_link, my_lights_code, serving
from tests.servers import SERVED_LIMITS


@pytest.mark.slow
def test_acceptgrant_succeeds_in_the_tls_demo(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"
    port = _free_base_port()
    base, lights = f"https://127.0.0.1:{port}", f"https://127.0.0.1:{port + 3}"
    with serving(data_dir, log, port, "--tls") as process:
        deadline = time.monotonic() + 60
        while not (data_dir / "tls" / "ca.pem").exists() or not (data_dir / "demo.json").exists():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        ca = ssl.create_default_context(cafile=str(data_dir / "tls" / "ca.pem"))
        with httpx.Client(limits=SERVED_LIMITS, base_url=base, verify=ca, timeout=30) as app:
            while True:
                try:
                    if app.get("/_localexa/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            state = json.loads((data_dir / "demo.json").read_text())
            admin = {"X-Localexa-Admin-Key": (data_dir / "admin-key").read_text().strip()}
            token = app.post(
                "/_localexa/tokens",
                headers=admin,
                json={
                    "clientId": state["app_client_id"],
                    "userId": state["customer_id"],
                    "scopes": ["alexa::skills:account_linking"],
                },
            ).json()["access_token"]
            callback = f"{base}/_localexa/demo/callback"
            # Plain http to My Lights' port is refused: it speaks only HTTPS now.
            with pytest.raises(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{port + 3}/authorize", timeout=5).raise_for_status()
            code = my_lights_code(lights, callback, verify=ca)
            enable_and_link(app, state["skill_id"], token, code, callback)
            found = app.get(
                f"/_localexa/customers/{state['customer_id']}/skills/{state['skill_id']}/endpoints",
                params={"waitSeconds": 30},
                headers=admin,
            ).json()
            assert found["acceptGrant"]["status"] == "SUCCEEDED", found
