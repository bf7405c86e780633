"""Real OAuth client libraries against a running localexa (uvicorn on 127.0.0.1, a free port):
Authlib's and requests-oauthlib's OAuth2Session complete authorization code + PKCE and refresh,
with the browser part done by posting the /ap/oa forms with requests; and Amazon's own Python
runtime (ask_sdk_model_runtime LwaClient, which insists on HTTPS) refreshes and gets a
client_credentials token through its unencoded body on /auth/O2/token."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session as OAuthlibSession

from localexa.server.app import create_app
from localexa.server.core.tls import ensure_server_certificate
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY
from tests.lwa.browser import REDIRECT_URI, form_for

pytestmark = pytest.mark.slow


@dataclass
class Running:
    base_url: str
    ca_file: Path | None

    def admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(
            f"{self.base_url}/_localexa/{path}",
            json=body,
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
            verify=str(self.ca_file) if self.ca_file else True,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def customer(self) -> tuple[str, str, str]:
        email = f"ada-{generate_token(8).lower()}@example.com"
        user = self.admin("customers", {"name": "Ada", "email": email, "password": "pw 123", "region": "NA"})
        return user["userId"], email, "pw 123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(settings: Settings, tls_dir: Path | None) -> Iterator[Running]:
    port = _free_port()
    ssl: dict[str, str] = {}
    if tls_dir is not None:
        paths = ensure_server_certificate(tls_dir)
        ssl = {"ssl_certfile": str(paths.cert_file), "ssl_keyfile": str(paths.key_file)}
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        **ssl,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "server thread died"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    scheme = "https" if tls_dir else "http"
    try:
        yield Running(f"{scheme}://127.0.0.1:{port}", tls_dir / "ca.pem" if tls_dir else None)
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture
def server(settings: Settings) -> Iterator[Running]:
    yield from _serve(settings, None)


@pytest.fixture
def tls_server(settings: Settings, tmp_path: Path) -> Iterator[Running]:
    yield from _serve(settings, tmp_path / "tls")


def browser_consent(authorization_url: str, email: str, password: str) -> str:
    """What the customer does in a browser; returns the redirect back to the app."""
    browser = requests.Session()
    page = browser.get(authorization_url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text
    signin = form_for(page.text, "signin")
    base = authorization_url.split("/ap/oa")[0]
    consent = browser.post(
        base + signin.action, data=signin.data({"email": email, "password": password}), timeout=10
    )
    assert consent.status_code == 200, consent.text
    form = form_for(consent.text, "consent")
    answer = browser.post(
        base + form.action, data=form.data(button="allow"), allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text
    location: str = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return location


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_authlib_code_pkce_and_refresh(server: Running, auth_method: str) -> None:
    user_id, email, password = server.customer()
    app = server.admin("lwa-clients", {"name": "Authlib app", "redirectUris": [REDIRECT_URI]})
    token_url = f"{server.base_url}/auth/o2/token"
    oauth = OAuth2Session(
        app["clientId"],
        app["clientSecret"],
        scope="profile postal_code",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method=auth_method,
    )
    verifier = generate_token(64)
    url, _state = oauth.create_authorization_url(f"{server.base_url}/ap/oa", code_verifier=verifier)
    assert "code_challenge=" in url
    callback = browser_consent(url, email, password)
    token = oauth.fetch_token(token_url, authorization_response=callback, code_verifier=verifier)
    assert token["access_token"].startswith("Atza|")
    assert token["token_type"] == "bearer"
    profile = oauth.get(f"{server.base_url}/user/profile", timeout=10)
    assert profile.status_code == 200
    assert profile.json()["user_id"] == user_id
    refreshed = oauth.refresh_token(token_url)
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] == token["refresh_token"]
    assert oauth.get(f"{server.base_url}/user/profile", timeout=10).json()["email"] == email


def test_requests_oauthlib_code_pkce_and_refresh(server: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the token URL is plain http on loopback
    user_id, email, password = server.customer()
    app = server.admin("lwa-clients", {"name": "oauthlib app", "redirectUris": [REDIRECT_URI]})
    token_url = f"{server.base_url}/auth/o2/token"
    oauth = OAuthlibSession(app["clientId"], redirect_uri=REDIRECT_URI, scope=["profile"], pkce="S256")
    url, _ = oauth.authorization_url(f"{server.base_url}/ap/oa")
    callback = browser_consent(url, email, password)
    token = oauth.fetch_token(token_url, authorization_response=callback, client_secret=app["clientSecret"])
    assert token["refresh_token"].startswith("Atzr|")
    info = requests.get(
        f"{server.base_url}/auth/o2/tokeninfo", params={"access_token": token["access_token"]}, timeout=10
    ).json()
    assert info["user_id"] == user_id
    assert info["aud"] == app["clientId"]
    refreshed = oauth.refresh_token(token_url, auth=HTTPBasicAuth(app["clientId"], app["clientSecret"]))
    assert refreshed["refresh_token"] == token["refresh_token"]
    assert oauth.get(f"{server.base_url}/user/profile", timeout=10).json()["user_id"] == user_id


def test_amazon_python_runtime_over_https(tls_server: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    from ask_sdk_model_runtime import (
        ApiConfiguration,
        AuthenticationConfiguration,
        DefaultApiClient,
        DefaultSerializer,
    )
    from ask_sdk_model_runtime.lwa import LwaClient

    assert tls_server.ca_file is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_server.ca_file))
    user_id, _, _ = tls_server.customer()
    app = tls_server.admin("lwa-clients", {"name": "SMAPI tool", "redirectUris": [REDIRECT_URI]})
    pair = tls_server.admin(
        "tokens", {"clientId": app["clientId"], "userId": user_id, "scopes": ["alexa::ask:skills:readwrite"]}
    )
    config = ApiConfiguration(
        serializer=DefaultSerializer(), api_client=DefaultApiClient(), api_endpoint=tls_server.base_url
    )
    refresh = LwaClient(
        config,
        AuthenticationConfiguration(
            client_id=app["clientId"], client_secret=app["clientSecret"], refresh_token=pair["refresh_token"]
        ),
        grant_type="refresh_token",
    )
    access = refresh.get_access_token_from_refresh_token()
    assert access.startswith("Atza|")
    assert access != pair["access_token"]

    skill = tls_server.admin(
        "skills",
        {
            "vendorId": tls_server.admin("vendors", {"name": "Acme", "ownerUserId": user_id})["vendorId"],
            "name": "Lights",
            "endpoint": "http://127.0.0.1:9/skill",
        },
    )
    creds = skill["skillMessagingCredentials"]
    messaging = LwaClient(
        config, AuthenticationConfiguration(client_id=creds["clientId"], client_secret=creds["clientSecret"])
    )
    token = messaging.get_access_token_for_scope("alexa:skill_messaging")
    info = requests.get(
        f"{tls_server.base_url}/auth/o2/tokeninfo", params={"access_token": token}, timeout=10
    ).json()
    assert info["aud"] == creds["clientId"]
