"""A real OAuth 2.0 token endpoint on 127.0.0.1: the skill's `accessTokenUrl` in these tests.

It runs uvicorn in a background thread and records every request. The path picks a behaviour:

    /token/ok              codes and refresh tokens both work (RFC 6749 §4.1.3, §6)
    /token/no-expiry       like ok, without expires_in
    /token/hang            never answers in time
    /token/error           400 {"error": "invalid_grant"}
    /token/garbage         200 with an HTML body
    /token/no-access-token 200 JSON without access_token
    /token/refresh-denied  codes work, refresh answers 400 invalid_grant
    /token/refresh-broken  codes work, refresh answers 500
    /token/refresh-broken-slowly  the same, after 0.5 s
    /token/expires-in-VALUE  like ok, with `expires_in` VALUE read as JSON (`0.5`, `-1`, `"2"`)

Client authentication is checked for real: `alexa-skill` / `s3cret`, by HTTP Basic or in the body.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

CLIENT_ID = "alexa-skill"
CLIENT_SECRET = "s3cret"


@dataclass
class Recorded:
    mode: str
    form: dict[str, str]
    authorization: str | None
    content_type: str | None


@dataclass
class TokenServer:
    base_url: str
    requests: list[Recorded] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, mode: str) -> str:
        return f"{self.base_url}/token/{mode}"

    def record(self, entry: Recorded) -> None:
        with self._lock:
            self.requests.append(entry)

    def calls_with(self, key: str, value: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.form.get(key) == value]


#: Refresh refusals that do not say the refresh token is dead (not `invalid_grant`): the link
#: must survive them (a limit, a timeout, a client secret the developer is about to fix).
REFRESH_REFUSED_FOR_NOW: dict[str, Callable[[], Response]] = {
    "refresh-429": lambda: JSONResponse(
        {"error": "slow_down"}, status_code=429, headers={"Retry-After": "5"}
    ),
    "refresh-408": lambda: PlainTextResponse("Request Timeout", status_code=408),
    "refresh-invalid-client": lambda: JSONResponse({"error": "invalid_client"}, status_code=401),
    "refresh-400-html": lambda: PlainTextResponse("<html>maintenance</html>", status_code=400),
}


def _client_ok(request: Request, form: dict[str, str]) -> bool:
    header = request.headers.get("authorization")
    if header and header.lower().startswith("basic "):
        decoded = base64.b64decode(header[6:]).decode()
        return decoded == f"{CLIENT_ID}:{CLIENT_SECRET}"
    return form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET


def build_app(server: TokenServer) -> Starlette:
    counter = {"n": 0}

    async def token(request: Request) -> Response:
        mode = request.path_params["mode"]
        form = {k: str(v) for k, v in (await request.form()).items()}
        server.record(
            Recorded(
                mode=mode,
                form=form,
                authorization=request.headers.get("authorization"),
                content_type=request.headers.get("content-type"),
            )
        )
        if mode == "hang":
            await asyncio.sleep(5)
            return JSONResponse({"access_token": "too-late"})
        if mode == "error":
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if mode == "garbage":
            return PlainTextResponse("<html>surprise</html>")
        if mode == "no-access-token":
            return JSONResponse({"token_type": "bearer", "expires_in": 3600})
        if not _client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = form.get("grant_type")
        counter["n"] += 1
        body: dict[str, Any]
        if grant == "authorization_code":
            code = form["code"]
            body = {"access_token": f"at-{code}", "refresh_token": f"rt-{code}", "token_type": "bearer"}
        elif grant == "refresh_token":
            if mode == "refresh-denied":
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            if mode in ("refresh-broken", "refresh-broken-slowly"):
                if mode == "refresh-broken-slowly":  # long enough for every caller to queue
                    # (0.5 s left a loaded machine too little to bring five directives that far)
                    await asyncio.sleep(2.0)
                return JSONResponse({"error": "server_error"}, status_code=500)
            if mode in REFRESH_REFUSED_FOR_NOW:
                return REFRESH_REFUSED_FOR_NOW[mode]()
            body = {
                "access_token": f"at-refreshed-{counter['n']}-{form['refresh_token']}",
                "token_type": "bearer",
            }
        else:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if mode.startswith("expires-in-"):
            body["expires_in"] = json.loads(mode.removeprefix("expires-in-"))
        elif mode != "no-expiry":
            body["expires_in"] = 3600
        return JSONResponse(body)

    return Starlette(routes=[Route("/token/{mode}", token, methods=["POST"])])


class ServerThread:
    """uvicorn on a pre-bound socket in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", ws="none", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("token server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
