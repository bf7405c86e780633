"""The README's demo walk-through, as a new user would follow it: `localexa serve` (demo on, a
fresh data dir) with My Lights beside it; sign in with Amazon through the real pages, sign in to
My Lights, enable and link in one call, and turn the kitchen light on."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.lwa.browser import form_for, parse_forms
from tests.servers import SERVED_LIMITS


def _free_base_port() -> int:
    """A port P with P..P+3 free (NA, EU, FE and My Lights)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base > 65000:
            continue
        try:
            for offset in range(4):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no four consecutive free ports")


@contextmanager
def serving(data_dir: Path, log: Path, port: int, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """`localexa serve` (demo on) in a child process, stopped with SIGTERM; its log holds no
    traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALEXA_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localexa",
            "serve",
            *options,
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    output = log.read_text()
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    root = tmp_path_factory.mktemp("demo")
    data_dir, log = root / "data", root / "serve.log"
    port = _free_base_port()
    base = f"http://127.0.0.1:{port}"
    with serving(data_dir, log, port) as process:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                ready = httpx.get(f"{base}/_localexa/health").status_code == 200
                lights = httpx.get(f"http://127.0.0.1:{port + 3}/health").status_code == 200
                if ready and lights:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        else:
            raise AssertionError("the demo did not become healthy")
        yield base, data_dir, f"http://127.0.0.1:{port + 3}"


def _code_from(location: str) -> str:
    params = dict(parse_qsl(urlsplit(location).query))
    assert "code" in params, location
    return params["code"]


def my_lights_code(lights: str, callback: str, verify: ssl.SSLContext | bool = True) -> str:
    """Sign in to My Lights as the demo user, through its page: the app's My Lights code."""
    with httpx.Client(base_url=lights, timeout=30, verify=verify) as device_cloud:
        login = device_cloud.get(
            "/authorize",
            params={
                "client_id": "alexa-skill",
                "response_type": "code",
                "scope": "lights",
                "redirect_uri": callback,
                "state": "demo",
            },
        )
        assert login.status_code == 200
        _, forms = parse_forms(login.text)
        fields = dict(forms[0].data({"username": "demo", "password": "demo"}))
        fields["decision"] = "allow"
        granted = device_cloud.post(forms[0].action or "/authorize", data=fields)
        assert granted.status_code in (302, 303), granted.text
        return _code_from(granted.headers["location"])


def enable_and_link(
    app: httpx.Client, skill_id: str, amazon_token: str, lights_code: str, callback: str
) -> httpx.Response:
    linked = app.post(
        f"/v1/users/~current/skills/{skill_id}/enablement",
        headers={"Authorization": f"Bearer {amazon_token}"},
        json={
            "stage": "development",
            "accountLinkRequest": {"type": "AUTH_CODE", "authCode": lights_code, "redirectUri": callback},
        },
    )
    assert linked.status_code == 201, linked.text
    return linked


@pytest.mark.slow
def test_walkthrough_turns_the_kitchen_light_on(demo: tuple[str, Path, str]) -> None:
    base, data_dir, lights = demo
    state = json.loads((data_dir / "demo.json").read_text())
    admin_key = (data_dir / "admin-key").read_text().strip()
    callback = f"{base}/_localexa/demo/callback"

    with httpx.Client(limits=SERVED_LIMITS, base_url=base, timeout=30) as browser:
        # 1. Sign in with Amazon as the demo customer, through the real pages.
        page = browser.get(
            "/ap/oa",
            params={
                "client_id": state["app_client_id"],
                "scope": "alexa::skills:account_linking profile",
                "response_type": "code",
                "redirect_uri": callback,
                "state": "demo",
            },
        )
        assert page.status_code == 200
        signin = form_for(page.text, "signin")
        page = browser.post(
            signin.action,
            data=dict(signin.data({"email": "demo@localexa.test", "password": "demo-password"})),
        )
        assert page.status_code == 200, page.text
        consent = form_for(page.text, "consent")
        answer = browser.post(consent.action, data=dict(consent.data(button="allow")))
        assert answer.status_code == 302
        shown = browser.get(answer.headers["location"])
        assert shown.status_code == 200
        assert "Authorization code" in shown.text
        tokens = browser.post(
            "/auth/o2/token",
            data={
                "grant_type": "authorization_code",
                "code": _code_from(answer.headers["location"]),
                "redirect_uri": callback,
            },
            auth=(state["app_client_id"], state["app_client_secret"]),
        ).json()
        amazon_token = tokens["access_token"]
        profile = browser.get("/user/profile", headers={"Authorization": f"Bearer {amazon_token}"}).json()
        assert profile["email"] == "demo@localexa.test"

    # 2. Sign in to My Lights for the app's My Lights code.
    lights_code = my_lights_code(lights, callback)

    with httpx.Client(limits=SERVED_LIMITS, base_url=base, timeout=30) as app:
        # 3. Enable the skill and link the accounts in one call.
        endpoint = app.get("/v1/alexaApiEndpoint", headers={"Authorization": f"Bearer {amazon_token}"})
        assert endpoint.json()["endpoints"] == [f"127.0.0.1:{urlsplit(base).port}"]
        linked = enable_and_link(app, state["skill_id"], amazon_token, lights_code, callback)
        assert linked.json()["accountLink"] == {"status": "LINKED"}

        # Discover and AcceptGrant run after the answer; wait for them as the console does.
        admin = {"X-Localexa-Admin-Key": admin_key}
        found: dict[str, Any] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = app.get(
                f"/_localexa/customers/{state['customer_id']}/skills/{state['skill_id']}/endpoints",
                params={"waitSeconds": 5},
                headers=admin,
            ).json()
            steps = [(found.get(step) or {}).get("status") for step in ("discovery", "acceptGrant")]
            if all(status not in (None, "PENDING") for status in steps):
                break
            time.sleep(0.2)
        assert {e["endpointId"] for e in found["endpoints"]} >= {"kitchen", "porch"}, found
        assert found["acceptGrant"]["status"] == "SUCCEEDED", found

        # 4. Turn the kitchen light on, as Alexa would, and ask for its state.
        directive = {"userId": state["customer_id"], "skillId": state["skill_id"], "endpointId": "kitchen"}
        on = app.post(
            "/_localexa/directives",
            headers=admin,
            json={**directive, "namespace": "Alexa.PowerController", "name": "TurnOn"},
        )
        assert on.status_code == 200, on.text
        assert on.json()["verdict"]["valid"] is True
        report = app.post(
            "/_localexa/directives",
            headers=admin,
            json={**directive, "namespace": "Alexa", "name": "ReportState"},
        ).json()
        power = [p for p in report["response"]["context"]["properties"] if p["name"] == "powerState"]
        assert power[0]["value"] == "ON"


def test_uvicorns_own_lines_keep_localexas_log_format_beside_the_demo(demo: tuple[str, Path, str]) -> None:
    """My Lights runs a second uvicorn server in the same process; its configuration must not
    replace localexa's logging (format, request ids, redaction, --log-level) for uvicorn's loggers."""
    base, data_dir, _ = demo
    log = data_dir.parent / "serve.log"
    port = int(urlsplit(base).port or 0)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        # `<` is no token character: not HTTP at all (`NOT-HTTP` would be a method, a 501).
        sock.sendall(b"<NOT-HTTP> /x HTTP/1.1\r\nAuthorization: Bearer Atza|not-a-real-token\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(4096)):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer
    # The lines carry the request id the answer gave (they said request_id=- until 2026-12-06).
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    fields = [line.split(":", 1) for line in head.split("\r\n")[1:]]
    request_id = next(value.strip() for name, value in fields if name.lower() == "x-amzn-requestid")
    deadline = time.monotonic() + 10
    while "Invalid HTTP request" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    output = log.read_text()
    assert 'level=info logger=uvicorn.error request_id=- msg="Application startup complete."' in output
    uvicorns = f'level=warning logger=uvicorn.error request_id={request_id} msg="Invalid HTTP request'
    assert uvicorns in output
    assert "WARNING:  Invalid HTTP request" not in output  # uvicorn's own format
    assert "not-a-real-token" not in output
