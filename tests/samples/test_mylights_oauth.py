"""My Lights' OAuth 2.0 server over real HTTP: RFC 6749 code and refresh grants, RFC 7636 PKCE,
client authentication both ways, RFC 7662 introspection, and the admin helpers."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.requests_client import OAuth2Session

from localexa.samples.mylights import DeviceCloud, MyLightsConfig, create_mylights_app
from tests.servers import serve_in_thread

REDIRECT = "https://app.example.com/alexa"
BASIC = ("alexa-skill", "mylights-secret")


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def sign_in(http: httpx.Client, base: str, password: str = "demo", **extra: str) -> httpx.Response:
    form = {
        "response_type": "code",
        "client_id": "alexa-skill",
        "redirect_uri": REDIRECT,
        "scope": "lights",
        "state": "st-1",
        "username": "demo",
        "password": password,
        "decision": "allow",
        **extra,
    }
    return http.post(f"{base}/authorize", data=form)


def query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(http: httpx.Client, base: str, code: str, **extra: Any) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    return http.post(f"{base}/token", data=form, auth=BASIC)


def test_authorize_shows_the_login_form_carrying_the_request(http: httpx.Client, mylights: str) -> None:
    page = http.get(
        f"{mylights}/authorize",
        params={
            "response_type": "code",
            "client_id": "alexa-skill",
            "redirect_uri": REDIRECT,
            "state": '"><b>x',
        },
    )
    assert page.status_code == 200
    assert '<input name="password" type="password"' in page.text
    assert 'name="redirect_uri" value="https://app.example.com/alexa"' in page.text
    assert "&quot;&gt;&lt;b&gt;x" in page.text  # the state is escaped, not markup


def test_authorize_refuses_unknown_clients_without_redirecting(http: httpx.Client, mylights: str) -> None:
    page = http.get(
        f"{mylights}/authorize", params={"response_type": "code", "client_id": "x", "redirect_uri": REDIRECT}
    )
    assert page.status_code == 400
    assert "location" not in page.headers


def test_authorize_errors_go_back_to_the_client(http: httpx.Client, mylights: str) -> None:
    params = {"response_type": "token", "client_id": "alexa-skill", "redirect_uri": REDIRECT, "state": "s9"}
    assert query(http.get(f"{mylights}/authorize", params=params)) == {
        "error": "unsupported_response_type",
        "state": "s9",
    }
    assert query(sign_in(http, mylights, scope="everything"))["error"] == "invalid_scope"
    assert query(sign_in(http, mylights, decision="deny"))["error"] == "access_denied"


def test_wrong_password_shows_the_form_again(http: httpx.Client, mylights: str) -> None:
    page = sign_in(http, mylights, password="nope")
    assert page.status_code == 401
    assert "Wrong username or password" in page.text


def test_code_with_s256_pkce_for_tokens_that_introspect(http: httpx.Client, mylights: str) -> None:
    verifier = secrets.token_urlsafe(48)
    granted = query(sign_in(http, mylights, code_challenge=s256(verifier), code_challenge_method="S256"))
    assert granted["state"] == "st-1"
    tokens = exchange(http, mylights, granted["code"], code_verifier=verifier)
    assert tokens.status_code == 200
    assert tokens.headers["cache-control"] == "no-store"
    body = tokens.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "lights")
    info = http.post(f"{mylights}/introspect", data={"token": body["access_token"]}, auth=BASIC).json()
    assert (info["active"], info["sub"], info["client_id"]) == (True, "demo", "alexa-skill")


@pytest.mark.parametrize(
    ("method", "challenge_of"),
    [pytest.param("S256", s256, id="S256"), pytest.param("plain", lambda v: v, id="plain")],
)
def test_pkce_verifier_must_match(http: httpx.Client, mylights: str, method: str, challenge_of: Any) -> None:
    verifier = secrets.token_urlsafe(48)
    extra = {"code_challenge": challenge_of(verifier), "code_challenge_method": method}
    wrong = exchange(
        http, mylights, query(sign_in(http, mylights, **extra))["code"], code_verifier=verifier + "x"
    )
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    missing = exchange(http, mylights, query(sign_in(http, mylights, **extra))["code"])
    assert missing.json()["error"] == "invalid_grant"
    right = exchange(http, mylights, query(sign_in(http, mylights, **extra))["code"], code_verifier=verifier)
    assert right.status_code == 200


def test_a_code_works_once_and_a_replay_revokes_its_tokens(http: httpx.Client, mylights: str) -> None:
    code = query(sign_in(http, mylights))["code"]
    first = exchange(http, mylights, code).json()
    replay = exchange(http, mylights, code)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    info = http.post(f"{mylights}/introspect", data={"token": first["access_token"]}, auth=BASIC).json()
    assert info == {"active": False}


def test_a_code_expires_after_five_minutes(http: httpx.Client, mylights: str, cloud: DeviceCloud) -> None:
    code = query(sign_in(http, mylights))["code"]
    cloud.advance_clock(301)
    assert exchange(http, mylights, code).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorization_request(http: httpx.Client, mylights: str) -> None:
    code = query(sign_in(http, mylights))["code"]
    assert (
        exchange(http, mylights, code, redirect_uri="https://evil.example/cb").json()["error"]
        == "invalid_grant"
    )


def test_refresh_with_body_credentials(http: httpx.Client, mylights: str) -> None:
    first = exchange(http, mylights, query(sign_in(http, mylights))["code"]).json()
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    refreshed = http.post(
        f"{mylights}/token", data={**form, "client_id": "alexa-skill", "client_secret": "mylights-secret"}
    )
    assert refreshed.status_code == 200
    body = refreshed.json()
    assert body["access_token"] != first["access_token"]
    assert body["refresh_token"] == first["refresh_token"]
    lights = http.get(f"{mylights}/lights", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert lights.status_code == 200
    bogus = http.post(f"{mylights}/token", data={**form, "refresh_token": "mlr.nope"}, auth=BASIC)
    assert bogus.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param({"auth": ("alexa-skill", "wrong")}, id="basic"),
        pytest.param({"data": {"client_id": "alexa-skill", "client_secret": "wrong"}}, id="body"),
        pytest.param({}, id="none"),
    ],
)
def test_wrong_client_secret_is_401_invalid_client(
    http: httpx.Client, mylights: str, auth: dict[str, Any]
) -> None:
    data = {"grant_type": "refresh_token", "refresh_token": "x", **auth.pop("data", {})}
    answer = http.post(f"{mylights}/token", data=data, **auth)
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")
    assert answer.headers["www-authenticate"].startswith("Basic")


def test_token_endpoint_request_errors(http: httpx.Client, mylights: str) -> None:
    both = http.post(
        f"{mylights}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": "alexa-skill",
            "client_secret": "s",
        },
        auth=BASIC,
    )
    assert (both.status_code, both.json()["error"]) == (400, "invalid_request")
    other = http.post(f"{mylights}/token", data={"grant_type": "password"}, auth=BASIC)
    assert (other.status_code, other.json()["error"]) == (400, "unsupported_grant_type")


def test_access_token_lifetime_is_configurable_and_enforced(http: httpx.Client) -> None:
    cloud = DeviceCloud(MyLightsConfig(access_token_ttl=60))
    with serve_in_thread(create_mylights_app(cloud=cloud)) as base:
        body = exchange(http, base, query(sign_in(http, base))["code"]).json()
        assert body["expires_in"] == 60
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert http.get(f"{base}/lights", headers=headers).status_code == 200
        moved = http.post(f"{base}/admin/clock", json={"advanceSeconds": 61}, auth=BASIC)
        assert moved.status_code == 200
        expired = http.get(f"{base}/lights", headers=headers)
        assert expired.status_code == 401
        assert 'error="invalid_token"' in expired.headers["www-authenticate"]
        assert "expired" in expired.headers["www-authenticate"]


def test_admin_helpers_need_the_client_and_a_body(
    http: httpx.Client, mylights: str, cloud: DeviceCloud
) -> None:
    assert http.post(f"{mylights}/admin/revoke", json={"user": "demo"}).status_code == 401
    cloud.oauth.mint("demo")
    assert http.post(f"{mylights}/admin/revoke", json={"user": "demo"}, auth=BASIC).json() == {"revoked": 2}
    assert http.post(f"{mylights}/admin/expire", json={}, auth=BASIC).status_code == 400
    assert http.post(f"{mylights}/admin/clock", json={"advanceSeconds": -5}, auth=BASIC).status_code == 400
    assert http.post(f"{mylights}/admin/nothing", json={}, auth=BASIC).status_code == 404
    creds = {"clientId": "amzn1.application-oa2-client.x", "clientSecret": "s"}
    assert http.post(f"{mylights}/admin/alexa-credentials", json=creds, auth=BASIC).status_code == 204
    assert cloud.config.alexa_client_id == "amzn1.application-oa2-client.x"


def test_a_standard_oauth_client_library_completes_the_flow(http: httpx.Client, mylights: str) -> None:
    """Authlib's client (PKCE S256, client_secret_basic) against My Lights, as a third party would."""
    oauth = OAuth2Session(
        "alexa-skill",
        "mylights-secret",
        scope="lights",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = secrets.token_urlsafe(48)
    url, state = oauth.create_authorization_url(f"{mylights}/authorize", code_verifier=verifier)
    page = http.get(url)
    assert page.status_code == 200
    hidden = dict(parse_qs(urlsplit(url).query))
    form = {k: v[0] for k, v in hidden.items()} | {
        "username": "demo",
        "password": "demo",
        "decision": "allow",
    }
    callback = http.post(f"{mylights}/authorize", data=form).headers["location"]
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    token = oauth.fetch_token(f"{mylights}/token", authorization_response=callback, code_verifier=verifier)
    oauth.close()
    assert token["token_type"] == "Bearer"
    assert (
        http.get(
            f"{mylights}/lights", headers={"Authorization": f"Bearer {token['access_token']}"}
        ).status_code
        == 200
    )
