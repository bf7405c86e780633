"""The servers a benchmark runs: `localexa serve`, the bare Starlette app, oauth2-mock-server, moto.

Each is a child process on 127.0.0.1 (free ports), ready when its health URL answers; `stop()`
ends it with SIGTERM. `rss_kb()` reads the resident memory from /proc.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ADMIN_KEY = "bench-admin-key"
SECRET_KEY = "bench-secret-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Child:
    name: str
    command: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    started_in: float = 0.0

    def start(self, timeout: float = 60.0, *, health_status: int = 200) -> Child:
        # Bytecode is cached as on any machine where localexa is installed (pip compiles it): a shell
        # with PYTHONDONTWRITEBYTECODE set (this machine's) would make every start compile
        # localexa's ~300 modules again (+0.1 s cold start).
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LOCALEXA_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(self.env)
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{self.name}-{os.getpid()}.log"
        started = time.perf_counter()
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.command, env=env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = started + timeout
        with httpx.Client(timeout=2) as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
                try:
                    if http.get(self.health_url).status_code == health_status:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{self.name} never became healthy: {self.log.read_text()[-3000:]}")
                time.sleep(0.005)
        self.started_in = time.perf_counter() - started
        return self

    def rss_kb(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def localexa(
    data_dir: Path, *, database_url: str | None = None, redis_url: str | None = None, port: int | None = None
) -> Child:
    """`localexa serve` as a user runs it, with a rate limit no benchmark reaches (the limiter
    still counts every call) and warning-level logs."""
    port = port or free_port()
    command = [sys.executable, "-m", "localexa", "serve", "--no-demo", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    if database_url:
        command += ["--database-url", database_url]
    env = {
        "LOCALEXA_ADMIN_KEY": ADMIN_KEY,
        # One key for every run: a run's data dir is new, its PostgreSQL database is not, and a
        # start refuses a database holding secrets sealed under another key.
        "LOCALEXA_SECRET_KEY": SECRET_KEY,
        "LOCALEXA_RATE_LIMIT": "1000000000/minute",
        "LOCALEXA_LOG_LEVEL": "warning",
        "LOCALEXA_EU_PORT": str(free_port()),
        "LOCALEXA_FE_PORT": str(free_port()),
    }
    if redis_url:
        env["LOCALEXA_REDIS_URL"] = redis_url
    return Child("localexa", command, f"http://127.0.0.1:{port}/_localexa/health", env)


def bare() -> Child:
    port = free_port()
    command = [sys.executable, "-m", "bench.bare_app", "--port", str(port)]
    return Child("bare", command, f"http://127.0.0.1:{port}/_localexa/health", cwd=ROOT)


def floor(data_dir: Path) -> Child:
    port = free_port()
    command = [sys.executable, "-m", "bench.floor_app", "--port", str(port), "--data-dir", str(data_dir)]
    return Child("floor", command, f"http://127.0.0.1:{port}/_localexa/health", cwd=ROOT)


def oauth2_mock() -> Child | None:
    """None when node or bench/node_modules/oauth2-mock-server is missing (README: npm install)."""
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oauth2-mock-server").exists():
        return None
    port = free_port()
    return Child(
        "oauth2-mock-server",
        [node, str(HERE / "oauth2_mock.js"), str(port)],
        f"http://127.0.0.1:{port}/.well-known/openid-configuration",
        cwd=HERE,
    )


def moto() -> Child | None:
    """None when moto[server] is not installed in this environment (README)."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        return None
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return Child(
        "moto", command, f"http://127.0.0.1:{port}/moto-api/", env={"AWS_DEFAULT_REGION": "us-east-1"}
    )


# -- what each benchmark needs in place ----------------------------------------------------------


@dataclass
class LocalexaWorld:
    skill_id: str
    client_id: str
    client_secret: str
    refresh_token: str
    developer_token: str
    locker_token: str
    extended_pan_id: str = "dead00beef00cafe"


def seed_localexa(base_url: str) -> LocalexaWorld:
    """`seed_world` on the server at `base_url`."""

    async def run() -> LocalexaWorld:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            return await seed_world(http)

    return asyncio.run(run())


async def seed_world(http: httpx.AsyncClient) -> LocalexaWorld:
    """A developer whose skill is enabled for their own account, an app client with a refresh
    token, and a skill token with one Thread network in the Credential Locker. `http` reaches
    localexa: a server over loopback, or an app in process (bench/per_request.py)."""
    headers = {"X-Localexa-Admin-Key": ADMIN_KEY}

    async def admin(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await http.post(f"/_localexa/{path}", json=body, headers=headers)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    email = f"bench-{secrets.token_hex(4)}@example.com"
    developer = await admin("customers", {"name": "Bench", "email": email, "password": "pw", "region": "NA"})
    user_id = developer["userId"]
    vendor = await admin("vendors", {"name": "Bench", "ownerUserId": user_id})
    skill = await admin(
        "skills",
        {
            "vendorId": vendor["vendorId"],
            "name": "Bench",
            "endpoint": "http://127.0.0.1:9/skill",
            "permissions": ["alexa::thread_network_credentials:read"],
        },
    )
    app = await admin("lwa-clients", {"name": "Bench app", "redirectUris": ["https://app.example.com/cb"]})
    tokens = await admin(
        "tokens",
        {"clientId": app["clientId"], "userId": user_id, "scopes": ["alexa::ask:skills:readwrite"]},
    )
    enabled = await http.put(
        f"/v1/skills/{skill['skillId']}/stages/development/enablement",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    enabled.raise_for_status()
    messaging = skill["skillMessagingCredentials"]["clientId"]
    locker = await admin(
        "tokens", {"clientId": messaging, "userId": user_id, "scopes": ["alexa::async_event:write"]}
    )
    network = {"extendedPanId": "dead00beef00cafe", "networkName": "Home", "networkKey": "ab" * 16}
    put = await http.put(
        "/credentiallocker/v2/threadNetworks",
        json={"threadNetwork": network},
        headers={"Authorization": f"Bearer {locker['access_token']}"},
    )
    put.raise_for_status()
    return LocalexaWorld(
        skill_id=skill["skillId"],
        client_id=app["clientId"],
        client_secret=app["clientSecret"],
        refresh_token=tokens["refresh_token"],
        developer_token=tokens["access_token"],
        locker_token=locker["access_token"],
    )


def seed_moto(base_url: str) -> str:
    """A bucket with one small object; returns its path-style URL."""
    import boto3  # installed with moto[server]

    s3 = boto3.client(
        "s3",
        endpoint_url=base_url,
        region_name="us-east-1",
        aws_access_key_id="AKIDBENCHBENCHBENCH",
        aws_secret_access_key="bench-secret",  # moto accepts any
    )
    s3.create_bucket(Bucket="bench")
    s3.put_object(Bucket="bench", Key="status.json", Body=b'{"status":"ENABLED"}')
    return f"{base_url}/bench/status.json"


#: A SigV4 Authorization header of the shape an AWS SDK sends (moto does not check signatures by
#: default, so the S3 GET below is authenticated the way localexa's bearer check is: parsed, looked up).
MOTO_AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDBENCHBENCHBENCH/20261122/us-east-1/s3/aws4_request, "
    "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
    "Signature=" + "0" * 64
)
