"""`python -m localexa serve` as a subprocess on free ports, for tests that drive Amazon's own
clients (which need a real listener), with the admin calls those tests set up state with."""

from __future__ import annotations

import os
import secrets
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.servers import SERVED_LIMITS, free_ports

#: Variables that would change what the child trusts or which data it uses.
_SCRUBBED = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS")


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _SCRUBBED and not k.startswith(("LOCALEXA_", "ASK_", "AWS_"))
    }
    env.update(extra)
    return env


@dataclass(frozen=True)
class Served:
    base_url: str
    admin_key: str
    data_dir: Path

    @property
    def ca_file(self) -> Path:
        return self.data_dir / "tls" / "ca.pem"

    def http(self) -> httpx.Client:
        verify: ssl.SSLContext | bool = True
        if self.base_url.startswith("https"):
            verify = ssl.create_default_context(cafile=str(self.ca_file))
        return httpx.Client(limits=SERVED_LIMITS, base_url=self.base_url, verify=verify, timeout=30)

    def admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.http() as client:
            response = client.post(
                f"/_localexa/{path}", json=body, headers={"X-Localexa-Admin-Key": self.admin_key}
            )
        assert response.status_code == 201, (path, response.text)
        result: dict[str, Any] = response.json()
        return result


@contextmanager
def serve(root: Path, *, tls: bool = False) -> Iterator[Served]:
    na, eu, fe = free_ports(3)
    data_dir = root / "data"
    admin_key = secrets.token_urlsafe(16)
    env = clean_env(
        LOCALEXA_DATA_DIR=str(data_dir),
        LOCALEXA_ADMIN_KEY=admin_key,
        LOCALEXA_EU_PORT=str(eu),
        LOCALEXA_FE_PORT=str(fe),
    )
    command = [sys.executable, "-m", "localexa", "serve", "--no-demo", "--port", str(na)]
    if tls:
        command.append("--tls")
    log_path = root / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    served = Served(f"{'https' if tls else 'http'}://127.0.0.1:{na}", admin_key, data_dir)
    try:
        _wait_healthy(served, process, log_path)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(served: Served, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localexa serve exited early:\n{log_path.read_text()}")
        if not served.base_url.startswith("https") or served.ca_file.exists():
            try:
                with served.http() as client:
                    if client.get("/_localexa/health").status_code == 200:
                        return
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"localexa serve never answered /_localexa/health:\n{log_path.read_text()}")


@dataclass(frozen=True)
class DeveloperSetup:
    skill_id: str
    vendor_id: str
    client_id: str
    client_secret: str
    refresh_token: str
    access_token: str
    messaging_client_id: str
    messaging_client_secret: str


def developer_setup(served: Served) -> DeveloperSetup:
    """A developer with a vendor and a skill, and an LWA client + token pair for their tools."""
    email = f"dev-{secrets.token_hex(4)}@example.com"
    developer = served.admin("customers", {"name": "Dev", "email": email, "password": "pw", "region": "NA"})
    vendor = served.admin("vendors", {"name": "Acme", "ownerUserId": developer["userId"]})
    skill = served.admin(
        "skills",
        {"vendorId": vendor["vendorId"], "name": "My Lights", "endpoint": "http://127.0.0.1:9/skill"},
    )
    client = served.admin("lwa-clients", {"name": "ask-cli", "redirectUris": ["http://127.0.0.1:9090/cb"]})
    tokens = served.admin(
        "tokens",
        {
            "clientId": client["clientId"],
            "userId": developer["userId"],
            "scopes": ["alexa::ask:skills:readwrite"],
        },
    )
    return DeveloperSetup(
        skill_id=skill["skillId"],
        vendor_id=vendor["vendorId"],
        client_id=client["clientId"],
        client_secret=client["clientSecret"],
        refresh_token=tokens["refresh_token"],
        access_token=tokens["access_token"],
        messaging_client_id=skill["skillMessagingCredentials"]["clientId"],
        messaging_client_secret=skill["skillMessagingCredentials"]["clientSecret"],
    )
