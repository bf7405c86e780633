"""POST /auth/o2/token: the three grants, PKCE, client authentication, replay, and the bodies real
clients send (RFC 6749 §4.1.3, §4.4, §5, §6; RFC 7636 §4.5; spec §3)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.lwa.models import Token
from tests.factories import Admin, Customer
from tests.lwa.browser import REDIRECT_URI, Browser, pkce_pair

TOKEN = "/auth/o2/token"


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def assert_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error
    assert response.headers["Cache-Control"] == "no-store"
    return body


async def profile_status(client: httpx.AsyncClient, access_token: str) -> int:
    return (
        await client.get("/user/profile", headers={"Authorization": f"Bearer {access_token}"})
    ).status_code


async def exchange(
    client: httpx.AsyncClient, client_id: str, secret: str | None, code: str, **extra: str
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": client_id,
    }
    if secret is not None:
        data["client_secret"] = secret
    data.update(extra)
    return await client.post(TOKEN, data={k: v for k, v in data.items() if v != "-"})


@pytest.fixture
async def app_client(admin: Admin) -> tuple[str, str]:
    return await admin.lwa_client(name="Acme")


async def test_code_exchange_issues_lwa_tokens(
    client: httpx.AsyncClient, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    code = await browser.code_for(client_id, ada.email, ada.password)
    response = await exchange(client, client_id, secret, code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["access_token"].startswith("Atza|")
    assert len(body["access_token"]) >= 350
    assert body["refresh_token"].startswith("Atzr|")
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert response.headers["Cache-Control"] == "no-store"
    assert await profile_status(client, body["access_token"]) == 200


@pytest.mark.parametrize("method", ["S256", "plain", None], ids=["S256", "plain", "default-plain"])
async def test_pkce(
    client: httpx.AsyncClient,
    browser: Browser,
    ada: Customer,
    app_client: tuple[str, str],
    method: str | None,
) -> None:
    client_id, secret = app_client
    verifier, challenge = pkce_pair(method or "plain")
    extra = {"code_challenge": challenge}
    if method:
        extra["code_challenge_method"] = method
    code = await browser.code_for(client_id, ada.email, ada.password, **extra)
    wrong = await exchange(client, client_id, secret, code, code_verifier=pkce_pair()[0])
    assert_error(wrong, 400, "invalid_grant")
    missing = await exchange(client, client_id, secret, code)
    assert_error(missing, 400, "invalid_grant")
    if method is None:  # plain by default: the challenge is the verifier itself
        assert challenge == verifier
    ok = await exchange(client, client_id, secret, code, code_verifier=verifier)
    assert ok.status_code == 200, ok.text  # failed attempts did not use the code up


async def test_verifier_without_challenge_is_refused(
    client: httpx.AsyncClient, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    code = await browser.code_for(client_id, ada.email, ada.password)
    response = await exchange(client, client_id, secret, code, code_verifier=pkce_pair()[0])
    assert_error(response, 400, "invalid_grant")


async def test_public_pkce_client_may_omit_the_secret_and_gets_a_refresh_token(
    client: httpx.AsyncClient, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, _ = app_client
    verifier, challenge = pkce_pair()
    code = await browser.code_for(
        client_id, ada.email, ada.password, code_challenge=challenge, code_challenge_method="S256"
    )
    response = await exchange(client, client_id, None, code, code_verifier=verifier)
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"].startswith("Atzr|")  # test_public_refresh.py uses it
    assert await profile_status(client, response.json()["access_token"]) == 200


async def test_secret_is_required_without_pkce(
    client: httpx.AsyncClient, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, _ = app_client
    code = await browser.code_for(client_id, ada.email, ada.password)
    response = await exchange(client, client_id, None, code)
    assert_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


async def test_code_expires_after_five_minutes(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    code = await browser.code_for(client_id, ada.email, ada.password)
    await admin.advance_clock(301)
    body = assert_error(await exchange(client, client_id, secret, code), 400, "invalid_grant")
    assert "expired" in body["error_description"]


async def test_code_reuse_is_refused_and_revokes_the_first_tokens(
    client: httpx.AsyncClient, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    code = await browser.code_for(client_id, ada.email, ada.password)
    first = (await exchange(client, client_id, secret, code)).json()
    assert await profile_status(client, first["access_token"]) == 200
    assert_error(await exchange(client, client_id, secret, code), 400, "invalid_grant")
    assert await profile_status(client, first["access_token"]) == 401
    refresh = await client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=basic(client_id, secret),
    )
    assert_error(refresh, 400, "invalid_grant")


@pytest.mark.parametrize(
    ("redirect_uri", "status", "error"),
    [
        pytest.param("-", 400, "invalid_request", id="missing"),
        pytest.param("https://app.example.com/other", 400, "invalid_grant", id="different"),
    ],
)
async def test_redirect_uri_must_match(
    client: httpx.AsyncClient,
    browser: Browser,
    ada: Customer,
    app_client: tuple[str, str],
    redirect_uri: str,
    status: int,
    error: str,
) -> None:
    client_id, secret = app_client
    code = await browser.code_for(client_id, ada.email, ada.password)
    assert_error(await exchange(client, client_id, secret, code, redirect_uri=redirect_uri), status, error)


async def test_code_of_another_client_is_invalid_grant(
    client: httpx.AsyncClient, admin: Admin, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, _ = app_client
    other_id, other_secret = await admin.lwa_client(name="Other")
    code = await browser.code_for(client_id, ada.email, ada.password)
    assert_error(await exchange(client, other_id, other_secret, code), 400, "invalid_grant")
    assert_error(await exchange(client, other_id, other_secret, "nonsense"), 400, "invalid_grant")


async def test_refresh_returns_a_new_access_token_and_the_same_refresh_token(
    client: httpx.AsyncClient, admin: Admin, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    pair = await admin.tokens(client_id, ada.user_id, ["profile", "postal_code"])
    await admin.advance_clock(3601)
    assert await profile_status(client, pair["access_token"]) == 401  # access tokens live an hour
    response = await client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": pair["refresh_token"],
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] == pair["refresh_token"]
    assert body["access_token"] != pair["access_token"]
    assert body["expires_in"] == 3600
    assert await profile_status(client, body["access_token"]) == 200
    narrower = await client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"], "scope": "profile"},
        headers=basic(client_id, secret),
    )
    info = await client.get("/user/profile", params={"access_token": narrower.json()["access_token"]})
    assert "postal_code" not in info.json()
    assert "email" in info.json()
    wider = await client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": pair["refresh_token"],
            "scope": "profile alexa::skills:account_linking",
        },
        headers=basic(client_id, secret),
    )
    assert_error(wider, 400, "invalid_scope")


async def test_refresh_token_of_another_client_is_invalid_grant(
    client: httpx.AsyncClient, admin: Admin, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    other_id, other_secret = await admin.lwa_client(name="Other")
    pair = await admin.tokens(client_id, ada.user_id, ["profile"])
    response = await client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]},
        headers=basic(other_id, other_secret),
    )
    assert_error(response, 400, "invalid_grant")
    access_as_refresh = await client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": pair["access_token"]},
        headers=basic(client_id, secret),
    )
    assert_error(access_as_refresh, 400, "invalid_grant")


async def test_refresh_needs_the_secret(
    client: httpx.AsyncClient, admin: Admin, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, _ = app_client
    pair = await admin.tokens(client_id, ada.user_id, ["profile"])
    response = await client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"], "client_id": client_id},
    )
    assert_error(response, 401, "invalid_client")


async def test_client_credentials_for_skill_messaging(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    response = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "alexa:skill_messaging alexa::proactive_events"},
        headers=basic(skill.messaging_client_id, skill.messaging_client_secret),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # Amazon's skill messaging page: an `Atc|` token, with the granted scopes (spec §3 scopes).
    assert set(body) == {"access_token", "scope", "token_type", "expires_in"}
    assert body["scope"] == "alexa:skill_messaging alexa::proactive_events"
    assert body["access_token"].startswith("Atc|")
    info = (await client.get("/auth/o2/tokeninfo", params={"access_token": body["access_token"]})).json()
    assert info["aud"] == skill.messaging_client_id
    assert "user_id" not in info


@pytest.mark.parametrize(
    ("scope", "error"),
    [
        pytest.param("profile", "invalid_scope", id="customer-scope"),
        pytest.param("-", "invalid_scope", id="missing"),
    ],
)
async def test_client_credentials_scopes(
    client: httpx.AsyncClient, admin: Admin, scope: str, error: str
) -> None:
    skill = await admin.skill()
    data = {
        "grant_type": "client_credentials",
        "client_id": skill.messaging_client_id,
        "client_secret": skill.messaging_client_secret,
        "scope": scope,
    }
    response = await client.post(TOKEN, data={k: v for k, v in data.items() if v != "-"})
    assert_error(response, 400, error)


async def test_client_credentials_only_for_messaging_clients(
    client: httpx.AsyncClient, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    response = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "alexa:skill_messaging"},
        headers=basic(client_id, secret),
    )
    assert_error(response, 400, "unauthorized_client")


@pytest.mark.parametrize("how", ["body", "basic"])
async def test_client_authentication_body_or_basic(client: httpx.AsyncClient, admin: Admin, how: str) -> None:
    skill = await admin.skill()
    data = {"grant_type": "client_credentials", "scope": "alexa:skill_messaging"}
    headers: dict[str, str] = {}
    if how == "body":
        data |= {"client_id": skill.messaging_client_id, "client_secret": skill.messaging_client_secret}
    else:
        headers = basic(skill.messaging_client_id, skill.messaging_client_secret)
        data["client_id"] = skill.messaging_client_id  # the same id in both places is fine
    response = await client.post(TOKEN, data=data, headers=headers)
    assert response.status_code == 200, response.text


async def test_two_client_ids_at_once_is_invalid_request(
    client: httpx.AsyncClient, admin: Admin, app_client: tuple[str, str]
) -> None:
    skill = await admin.skill()
    client_id, secret = app_client
    response = await client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "scope": "alexa:skill_messaging",
            "client_id": client_id,
            "client_secret": secret,
        },
        headers=basic(skill.messaging_client_id, skill.messaging_client_secret),
    )
    assert_error(response, 400, "invalid_request")


async def test_two_different_secrets_at_once_is_invalid_request(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """A request that carries a wrong secret is never answered with tokens, whichever of HTTP
    Basic and the body holds the right one; the same secret in both places is fine."""
    skill = await admin.skill()
    right, wrong = skill.messaging_client_secret, "amzn1.oa2-cs.v1.wrong"
    form = {"grant_type": "client_credentials", "scope": "alexa:skill_messaging"}
    for in_basic, in_body in ((right, wrong), (wrong, right)):
        response = await client.post(
            TOKEN,
            data=form | {"client_secret": in_body},
            headers=basic(skill.messaging_client_id, in_basic),
        )
        assert_error(response, 400, "invalid_request")
    same = await client.post(
        TOKEN, data=form | {"client_secret": right}, headers=basic(skill.messaging_client_id, right)
    )
    assert same.status_code == 200, same.text


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param("wrong-secret", id="wrong-secret"),
        pytest.param("unknown-client", id="unknown-client"),
        pytest.param("bad-basic", id="bad-basic"),
        pytest.param("nobody", id="no-client"),
    ],
)
async def test_client_authentication_failures_are_401(
    client: httpx.AsyncClient, admin: Admin, auth: str
) -> None:
    skill = await admin.skill()
    headers = {
        "wrong-secret": basic(skill.messaging_client_id, "amzn1.oa2-cs.v1.wrong"),
        "unknown-client": basic("amzn1.application-oa2-client.unknown", skill.messaging_client_secret),
        "bad-basic": {"Authorization": "Basic !!!not-base64"},
        "nobody": {},
    }[auth]
    response = await client.post(
        TOKEN, data={"grant_type": "client_credentials", "scope": "alexa:skill_messaging"}, headers=headers
    )
    assert_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param({}, "invalid_request", id="no-grant-type"),
        pytest.param({"grant_type": "password"}, "unsupported_grant_type", id="password"),
        pytest.param(
            {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
            "unsupported_grant_type",
            id="device",
        ),
    ],
)
async def test_grant_type_errors(client: httpx.AsyncClient, data: dict[str, str], error: str) -> None:
    assert_error(await client.post(TOKEN, data=data), 400, error)


async def test_missing_code_and_refresh_token_are_invalid_request(
    client: httpx.AsyncClient, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    for grant in ("authorization_code", "refresh_token"):
        response = await client.post(TOKEN, data={"grant_type": grant}, headers=basic(client_id, secret))
        assert_error(response, 400, "invalid_request")


async def test_ask_sdk_unencoded_refresh_body_on_capital_o_path(
    client: httpx.AsyncClient, admin: Admin, ada: Customer, app_client: tuple[str, str]
) -> None:
    """The exact body ask_sdk_model_runtime's LwaClient formats: not URL-encoded, raw `|`."""
    client_id, secret = app_client
    pair = await admin.tokens(client_id, ada.user_id, ["profile"])
    refresh = pair["refresh_token"]
    assert refresh.startswith("Atzr|")
    body = f"grant_type=refresh_token&client_id={client_id}&client_secret={secret}&refresh_token={refresh}"
    response = await client.post(
        "/auth/O2/token", content=body.encode(), headers={"Content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"] == refresh


async def test_ask_sdk_unencoded_client_credentials_body(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    body = (
        f"grant_type=client_credentials&client_id={skill.messaging_client_id}"
        f"&client_secret={skill.messaging_client_secret}&scope=alexa:skill_messaging"
    )
    response = await client.post(
        "/auth/O2/token", content=body.encode(), headers={"Content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200, response.text


async def test_encoded_form_still_decodes(
    client: httpx.AsyncClient, admin: Admin, ada: Customer, app_client: tuple[str, str]
) -> None:
    client_id, secret = app_client
    pair = await admin.tokens(client_id, ada.user_id, ["profile"])
    body = httpx.QueryParams(
        {
            "grant_type": "refresh_token",
            "refresh_token": pair["refresh_token"],
            "client_id": client_id,
            "client_secret": secret,
        }
    )
    assert "%7C" in str(body)
    response = await client.post(
        TOKEN,
        content=str(body).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert response.status_code == 200, response.text


async def test_ask_cli_json_bodies(
    client: httpx.AsyncClient, browser: Browser, ada: Customer, app_client: tuple[str, str]
) -> None:
    """ask-cli posts JSON for both the code exchange and the refresh (spec §6)."""
    client_id, secret = app_client
    code = await browser.code_for(client_id, ada.email, ada.password, scope="alexa::ask:skills:readwrite")
    first = await client.post(
        TOKEN,
        json={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert first.status_code == 200, first.text
    again = await client.post(
        TOKEN,
        json={
            "grant_type": "refresh_token",
            "refresh_token": first.json()["refresh_token"],
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert again.status_code == 200, again.text


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        pytest.param("text/plain", b"grant_type=client_credentials", id="text-plain"),
        pytest.param("application/json", b"{not json", id="bad-json"),
        pytest.param("application/json", b"[1, 2]", id="json-array"),
        pytest.param("application/json", b'{"grant_type": 5}', id="json-number"),
        pytest.param("application/x-www-form-urlencoded", b"grant_type=a&grant_type=b", id="repeated"),
        pytest.param("application/x-www-form-urlencoded", b"\xff\xfe", id="not-utf8"),
    ],
)
async def test_bad_bodies_are_invalid_request_never_500(
    client: httpx.AsyncClient, content_type: str, content: bytes
) -> None:
    response = await client.post(TOKEN, content=content, headers={"Content-Type": content_type})
    assert_error(response, 400, "invalid_request")


async def test_other_methods_answer_in_lwa_shape(client: httpx.AsyncClient) -> None:
    response = await client.get(TOKEN)
    assert response.status_code == 405
    assert set(response.json()) == {"error", "error_description"}


async def test_tokens_are_stored_before_the_answer_is_sent(
    app: FastAPI, admin: Admin, ada: Customer, app_client: tuple[str, str]
) -> None:
    """A client may use its token the moment it arrives: the exchange commits before it answers."""
    client_id, secret = app_client
    pair = await admin.tokens(client_id, ada.user_id, ["profile"])
    seen: list[bool] = []

    async def watching(scope: Any, receive: Any, send: Any) -> None:
        async def send_and_look(message: Any) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                access = json.loads(message["body"])["access_token"]
                async with app.state.sessions() as other:
                    seen.append(await other.get(Token, app.state.box.hash_token(access)) is not None)
            await send(message)

        await app(scope, receive, send_and_look)

    transport = httpx.ASGITransport(app=watching)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as raw:
        response = await raw.post(
            TOKEN,
            data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]},
            headers=basic(client_id, secret),
        )
    assert response.status_code == 200
    assert seen == [True]
