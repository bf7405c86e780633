"""The My Lights Lambda handler loads only what its path needs: forwarding to a running My Lights
(`MYLIGHTS_URL`) must not pull the app, uvicorn, the skill kit or httpx's CLI into each worker."""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import traceback

import pytest

from localexa.samples.mylights import DeviceCloud, lambda_handler
from localexa.samples.mylights.lambda_handler import REMOTE_ENV
from localexa.skill import validate_response
from tests.skill.factories import directive

HEAVY = ("uvicorn", "fastapi", "starlette", "rich", "pydantic", "httpx", "click", "pygments", "anyio")

FORWARD = """
import json, sys
from localexa.samples.mylights.lambda_handler import handler
answer = handler(json.loads(sys.argv[1]), None)
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))
print(json.dumps({"answer": answer, "loaded": loaded}))
"""


def test_forwarding_handler_imports_only_an_http_client(mylights: str, cloud: DeviceCloud) -> None:
    event = directive(
        "Alexa.PowerController", "TurnOn", cloud.oauth.mint("demo").access_token, endpoint_id="porch"
    )
    result = subprocess.run(
        [sys.executable, "-c", FORWARD, json.dumps(event), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, REMOTE_ENV: mylights},
    )
    out = json.loads(result.stdout)
    assert validate_response(event, out["answer"]).ok
    assert cloud.light("demo", "porch").power == "ON"
    assert out["loaded"] == []


def test_in_process_handler_still_loads_the_app_on_first_call() -> None:
    code = (
        "import sys\n"
        "import localexa.samples.mylights as mylights\n"
        "from localexa.samples.mylights.lambda_handler import handler\n"
        "print('localexa.samples.mylights.app' in sys.modules)\n"
        "from tests.skill.factories import discover\n"
        "answer = handler(discover('nobody'), None)\n"
        "print(answer['event']['payload']['type'], mylights.shared_cloud() is mylights.app.shared_cloud())\n"
    )
    env = {key: value for key, value in os.environ.items() if key != REMOTE_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, env=env
    )
    assert result.stdout.split() == ["False", "INVALID_AUTHORIZATION_CREDENTIAL", "True"]


def test_a_forwarding_handler_says_which_my_lights_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    from localexa.samples.mylights import lambda_handler
    from tests.servers import free_ports

    (port,) = free_ports(1)
    monkeypatch.setenv(lambda_handler.REMOTE_ENV, f"http://127.0.0.1:{port}")
    with pytest.raises(lambda_handler.RemoteError, match=rf"127\.0\.0\.1:{port}/skill could not be reached"):
        lambda_handler.handler({"directive": {}})
    monkeypatch.setenv(lambda_handler.REMOTE_ENV, "ftp://127.0.0.1/")
    with pytest.raises(ValueError, match="http:// or https://"):
        lambda_handler.handler({"directive": {}})


@pytest.mark.parametrize(
    ("base_url", "error", "says"),
    [
        ("ftp://me:s3cret@127.0.0.1/", ValueError, "https:// URL, not 'ftp://me:***@127.0.0.1/'"),
        (
            "http://me:s3cret@127.0.0.1:9",
            lambda_handler.RemoteError,
            "at http://me:***@127.0.0.1:9/skill could",
        ),
        ("http://me:s3#cret@127.0.0.1:9", ValueError, "not a valid URL: 'http://me:***@127.0.0.1:9'"),
    ],
    ids=["not-http", "unreachable", "hash-in-password"],
)
def test_a_forwarding_handler_s_errors_hide_the_url_s_password(
    monkeypatch: pytest.MonkeyPatch, base_url: str, error: type[Exception], says: str
) -> None:
    """`MYLIGHTS_URL`'s password stood in clear in each error naming the URL (and urllib's own
    "nonnumeric port: 's3cret@127.0.0.1'" for a URL without a port)."""
    monkeypatch.setenv(lambda_handler.REMOTE_ENV, base_url)
    with pytest.raises(error) as raised:
        lambda_handler.handler({"directive": {}})
    shown = "".join(traceback.format_exception(raised.value))
    assert says in str(raised.value), str(raised.value)
    assert not [part for part in ("s3cret", "s3#", "cret@") if part in shown], shown


def test_a_forwarding_handler_sends_the_urls_user_info_as_basic_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    """`MYLIGHTS_URL=http://me:pw@host` (a My Lights behind a proxy that asks for a password): urllib
    took `me:pw@host` for the host name and the error blamed DNS (readme37b F4). It is sent as
    HTTP Basic, as curl and httpx send a URL's user info, and left out of the request line."""
    seen: list[tuple[str, str | None]] = []

    class Skill(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers.get("Authorization")))
            body = json.dumps({"event": {"header": {"name": "Seen"}}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Skill)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        monkeypatch.setenv(REMOTE_ENV, f"http://me%40home:p%3Ass@127.0.0.1:{port}")
        answer = lambda_handler.handler({"directive": {}})
    finally:
        server.shutdown()
        server.server_close()
    assert answer == {"event": {"header": {"name": "Seen"}}}
    assert seen == [("/skill", "Basic " + base64.b64encode(b"me@home:p:ss").decode())]
