"""LWA helpers: the /ap/oa URL with PKCE S256, the grants, tokeninfo and profile (spec §3)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from localexa.client import Client, code_challenge_s256, generate_code_verifier
from tests.client.conftest import BASE, Either, FakeAmazon, form, reply

TOKEN = {"access_token": "Atza|a", "token_type": "bearer", "expires_in": 3600, "refresh_token": "Atzr|r"}


def test_rfc_7636_appendix_b_vector() -> None:
    assert code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_verifiers_are_fresh_and_well_formed() -> None:
    verifiers = {generate_code_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9\-._~]{64}", v) for v in verifiers)
    with pytest.raises(ValueError, match="43 to 128"):
        generate_code_verifier(42)


def test_authorization_url_on_localexa_carries_every_parameter() -> None:
    with Client(base_url=BASE) as client:
        request = client.lwa.authorization_url(
            client_id="amzn1.application-oa2-client.x",
            scope=["alexa::skills:account_linking", "profile"],
            redirect_uri="https://app.example.com/cb",
        )
    parts = urlsplit(request.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/ap/oa"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "client_id": "amzn1.application-oa2-client.x",
        "scope": "alexa::skills:account_linking profile",
        "response_type": "code",
        "redirect_uri": "https://app.example.com/cb",
        "state": request.state,
        "code_challenge": code_challenge_s256(request.code_verifier or ""),
        "code_challenge_method": "S256",
    }
    assert len(request.state) >= 24
    assert request.code_verifier is not None
    assert request.code_verifier not in repr(request)


def test_authorization_url_defaults_to_amazon_and_pkce_can_be_off() -> None:
    with Client() as client:
        request = client.lwa.authorization_url(
            client_id="c", scope="profile", redirect_uri="https://a/cb", state="s1", pkce=False
        )
    assert request.url.startswith("https://www.amazon.com/ap/oa?")
    assert "code_challenge" not in request.url
    assert (request.state, request.code_verifier) == ("s1", None)


async def test_code_exchange_sends_the_pkce_verifier(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("POST", f"{BASE}/auth/o2/token", reply(200, TOKEN))
    token = await either.run(
        lambda c: c.lwa.exchange_code(
            "ANcode",
            redirect_uri="https://a/cb",
            client_id="cid",
            client_secret="sec",
            code_verifier="v" * 43,
        )
    )
    assert (token.access_token, token.refresh_token, token.expires_in) == ("Atza|a", "Atzr|r", 3600)
    assert "Atza|a" not in repr(token)
    sent = amazon.requests[0]
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in sent.headers
    assert form(sent) == {
        "grant_type": "authorization_code",
        "code": "ANcode",
        "redirect_uri": "https://a/cb",
        "client_id": "cid",
        "client_secret": "sec",
        "code_verifier": "v" * 43,
    }


async def test_refresh_and_client_credentials_forms(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("POST", f"{BASE}/auth/o2/token", reply(200, TOKEN))
    await either.run(lambda c: c.lwa.refresh("Atzr|old", client_id="cid", client_secret="sec"))
    await either.run(
        lambda c: c.lwa.client_credentials(
            scope="alexa:skill_messaging", client_id="cid", client_secret="sec"
        )
    )
    first, second = (form(r) for r in amazon.requests)
    assert first == {
        "grant_type": "refresh_token",
        "refresh_token": "Atzr|old",
        "client_id": "cid",
        "client_secret": "sec",
    }
    assert second == {
        "grant_type": "client_credentials",
        "scope": "alexa:skill_messaging",
        "client_id": "cid",
        "client_secret": "sec",
    }


async def test_token_info_and_profile(either: Either, amazon: FakeAmazon) -> None:
    amazon.on("GET", f"{BASE}/auth/o2/tokeninfo", reply(200, {"aud": "cid", "user_id": "amzn1.account.A"}))
    amazon.on("GET", f"{BASE}/user/profile", reply(200, {"user_id": "amzn1.account.A", "name": "Ada"}))
    info = await either.run(lambda c: c.lwa.token_info("Atza|x"))
    profile = await either.run(lambda c: c.lwa.profile("Atza|x"))
    assert (info.aud, info.user_id) == ("cid", "amzn1.account.A")
    assert (profile.user_id, profile.name, profile.email) == ("amzn1.account.A", "Ada", None)
    info_request, profile_request = amazon.requests
    assert info_request.url.params["access_token"] == "Atza|x"
    assert "Authorization" not in info_request.headers
    assert profile_request.headers["Authorization"] == "Bearer Atza|x"


async def test_lwa_errors_carry_the_rfc_6749_code(either: Either, amazon: FakeAmazon) -> None:
    amazon.on(
        "POST",
        f"{BASE}/auth/o2/token",
        reply(400, {"error": "invalid_grant", "error_description": "Expired code."}),
    )
    with pytest.raises(Exception, match="Expired code") as caught:
        await either.run(lambda c: c.lwa.exchange_code("c", redirect_uri=None, client_id="cid"))
    assert getattr(caught.value, "code", None) == "invalid_grant"
    assert "redirect_uri" not in form(amazon.requests[0])
