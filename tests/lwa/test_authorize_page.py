"""GET/POST /ap/oa as a browser drives it: sign-in, consent, cookies, CSRF, and every error path
(RFC 6749 §4.1.1-§4.1.2.1; spec §3)."""

from __future__ import annotations

import base64
import contextlib
import re
import zlib
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import ADMIN_KEY
from tests.factories import Admin
from tests.lwa.browser import REDIRECT_URI, Browser, authorize_url, form_for, parse_forms, redirect_params
from tests.tampering import tampered


async def test_sign_in_and_consent_redirects_with_code_and_state(admin: Admin, browser: Browser) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client(name="Acme Lights")
    page = await browser.get(authorize_url(client_id, state="xyz 1/2", scope="profile postal_code"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    title, _forms = parse_forms(page.text)
    assert "Sign-In" in title
    assert "localexa" in title
    signin = form_for(page.text, "signin")
    assert {n for n, _ in signin.fields} >= {"email", "password", "request", "csrf_token"}
    assert "Acme Lights" in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"

    consent = await browser.submit(
        page, "signin", fill={"email": customer.email, "password": customer.password}
    )
    assert consent.status_code == 200
    assert "Acme Lights would like to access" in consent.text
    assert "postal_code" in consent.text
    cookie = consent.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/ap/" in cookie

    answer = await browser.submit(consent, "consent", button="allow")
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    params = redirect_params(answer)
    assert params["state"] == "xyz 1/2"
    assert params["scope"] == "profile postal_code"
    assert len(params["code"]) >= 20


async def test_wrong_password_shows_the_page_again_without_redirect(admin: Admin, browser: Browser) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    page = await browser.get(authorize_url(client_id))
    again = await browser.submit(page, "signin", fill={"email": customer.email, "password": "wrong"})
    assert again.status_code == 200
    assert "location" not in again.headers
    assert "incorrect" in again.text
    assert form_for(again.text, "signin").value("email") == customer.email
    unknown = await browser.submit(again, "signin", fill={"email": "nobody@example.com", "password": "x"})
    assert unknown.status_code == 200
    assert "incorrect" in unknown.text
    # the page still works after the failures
    consent = await browser.submit(
        unknown, "signin", fill={"email": customer.email, "password": customer.password}
    )
    assert form_for(consent.text, "consent")


async def test_second_authorization_skips_the_password(admin: Admin, browser: Browser) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    first = await browser.authorize(
        authorize_url(client_id), email=customer.email, password=customer.password
    )
    assert "code" in redirect_params(first)
    page = await browser.get(authorize_url(client_id, scope="profile:user_id"))
    assert page.status_code == 200
    assert "signin" not in [f.value("action") for f in parse_forms(page.text)[1]]
    assert customer.email in page.text
    answer = await browser.submit(page, "consent", button="allow")
    assert redirect_params(answer)["scope"] == "profile:user_id"


async def test_not_you_signs_out(admin: Admin, browser: Browser) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    await browser.authorize(authorize_url(client_id), email=customer.email, password=customer.password)
    consent = await browser.get(authorize_url(client_id))
    signin = await browser.submit(consent, "signout")
    assert form_for(signin.text, "signin")
    again = await browser.get(authorize_url(client_id))
    assert form_for(again.text, "signin")  # the session forgot the customer


async def test_declining_redirects_with_access_denied(admin: Admin, browser: Browser) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    answer = await browser.authorize(
        authorize_url(client_id, state="s1"),
        email=customer.email,
        password=customer.password,
        decision="deny",
    )
    params = redirect_params(answer)
    assert params["error"] == "access_denied"
    assert params["state"] == "s1"
    assert params["error_description"]
    assert "code" not in params


async def test_redirect_uri_query_is_kept(admin: Admin, browser: Browser) -> None:
    customer = await admin.customer()
    uri = "https://app.example.com/cb?tenant=7"
    client_id, _ = await admin.lwa_client(redirect_uris=[uri])
    answer = await browser.authorize(
        authorize_url(client_id, redirect_uri=uri), email=customer.email, password=customer.password
    )
    location = answer.headers["location"]
    assert location.startswith(uri + "&code=")
    assert dict(parse_qsl(urlsplit(location).query))["tenant"] == "7"


@pytest.mark.parametrize(
    ("params", "text"),
    [
        pytest.param(
            {"client_id": "amzn1.application-oa2-client.nope"}, "no application", id="unknown-client"
        ),
        pytest.param({"client_id": None}, "client_id is missing", id="missing-client"),
        pytest.param(
            {"redirect_uri": "https://evil.example.com/cb"}, "not registered", id="unregistered-uri"
        ),
        pytest.param({"redirect_uri": None}, "no redirect_uri", id="missing-uri"),
    ],
)
async def test_untrusted_target_is_an_error_page_never_a_redirect(
    admin: Admin, browser: Browser, params: dict[str, str | None], text: str
) -> None:
    client_id, _ = await admin.lwa_client()
    query = {"client_id": client_id, **params}
    response = await browser.get(authorize_url(**query))  # type: ignore[arg-type]
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert text in response.text


async def test_messaging_client_cannot_use_the_page(admin: Admin, browser: Browser) -> None:
    skill = await admin.skill()
    response = await browser.get(authorize_url(skill.messaging_client_id))
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("params", "error"),
    [
        pytest.param({"response_type": None}, "invalid_request", id="missing-response-type"),
        pytest.param({"response_type": "token"}, "unsupported_response_type", id="implicit"),
        pytest.param({"scope": None}, "invalid_scope", id="missing-scope"),
        pytest.param({"scope": "profile no_such_scope"}, "invalid_scope", id="unknown-scope"),
        pytest.param({"scope": "alexa:skill_messaging"}, "invalid_scope", id="messaging-scope"),
        # RFC 6749 §3.3: only a space separates scopes (a tab or a no-break space was taken as one).
        pytest.param({"scope": "profile\tpostal_code"}, "invalid_scope", id="tab-separated"),
        pytest.param({"scope": "profile\u00a0postal_code"}, "invalid_scope", id="nbsp-separated"),
        # A trailing line feed passed a `^…$` pattern (Python's `$` matches before it): granted.
        pytest.param({"scope": "alexa::ask:skills:readwrite\n"}, "invalid_scope", id="trailing-line-feed"),
        pytest.param(
            {"code_challenge": "x" * 43, "code_challenge_method": "S512"}, "invalid_request", id="method"
        ),
        pytest.param({"code_challenge_method": "S256"}, "invalid_request", id="method-without-challenge"),
        pytest.param({"code_challenge": "short"}, "invalid_request", id="short-challenge"),
        # RFC 7636 §4.2: an S256 challenge is BASE64URL(SHA-256) without padding, 43 characters.
        pytest.param(
            {"code_challenge": "A" * 44, "code_challenge_method": "S256"}, "invalid_request", id="s256-44"
        ),
        pytest.param(
            {"code_challenge": "A" * 42 + "=", "code_challenge_method": "S256"},
            "invalid_request",
            id="s256-padded",
        ),
    ],
)
async def test_other_errors_redirect_with_error_and_state(
    admin: Admin, browser: Browser, params: dict[str, str | None], error: str
) -> None:
    client_id, _ = await admin.lwa_client()
    response = await browser.get(authorize_url(client_id, state="keep-me", **params))  # type: ignore[arg-type]
    assert response.status_code == 302
    answer = redirect_params(response)
    assert response.headers["location"].startswith(REDIRECT_URI + "?")
    assert answer["error"] == error
    assert answer["state"] == "keep-me"
    assert answer["error_description"]


async def test_repeated_parameter_is_invalid_request(admin: Admin, browser: Browser) -> None:
    client_id, _ = await admin.lwa_client()
    response = await browser.get(authorize_url(client_id) + "&scope=profile")
    assert response.status_code == 302
    assert redirect_params(response)["error"] == "invalid_request"


async def test_an_unrecognized_parameter_is_ignored_even_repeated(admin: Admin, browser: Browser) -> None:
    """RFC 6749 §3.1: "MUST ignore unrecognized request parameters" (RFC 8707 repeats `resource`);
    it was an invalid_request redirect (QA of 2026-12-05)."""
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    url = authorize_url(client_id) + "&resource=https://a.example&resource=https://b.example&x=1&x=2"
    answer = await browser.authorize(url, email=customer.email, password=customer.password)
    assert "code" in redirect_params(answer), answer.headers.get("location")


async def test_smapi_and_account_linking_scopes_are_grantable(admin: Admin, browser: Browser) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    scope = "alexa::ask:skills:readwrite alexa::skills:account_linking"
    answer = await browser.authorize(
        authorize_url(client_id, scope=scope), email=customer.email, password=customer.password
    )
    assert redirect_params(answer)["scope"] == scope


async def test_consent_without_csrf_token_does_nothing(admin: Admin, browser: Browser) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    page = await browser.get(authorize_url(client_id))
    consent = await browser.submit(
        page, "signin", fill={"email": customer.email, "password": customer.password}
    )
    form = form_for(consent.text, "consent")
    for csrf in ("", "forged"):
        data = dict(form.data({"csrf_token": csrf}, "allow"))
        response = await browser.http.post("/ap/oa", data=data)
        assert response.status_code == 400
        assert "location" not in response.headers
        # The session's own page again (still signed in), and its cookie is left as it was.
        assert form_for(response.text, "consent")
        assert "out of date" in response.text
        assert "set-cookie" not in response.headers


async def test_a_stale_form_of_another_tab_keeps_the_session(admin: Admin, browser: Browser) -> None:
    """Two tabs on /ap/oa; sign in in one (a new session id), then submit the other's sign-in
    form: it was refused with a new, signed-out cookie, so the first tab's Allow failed too."""
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    tab_a = await browser.get(authorize_url(client_id))
    tab_b = await browser.get(authorize_url(client_id))
    consent_b = await browser.submit(
        tab_b, "signin", fill={"email": customer.email, "password": customer.password}
    )
    stale = dict(
        form_for(tab_a.text, "signin").data({"email": customer.email, "password": customer.password})
    )
    refused = await browser.http.post("/ap/oa", data=stale)
    assert refused.status_code == 400
    assert "set-cookie" not in refused.headers
    assert form_for(refused.text, "consent")  # still signed in
    allowed = await browser.http.post(
        "/ap/oa", data=dict(form_for(consent_b.text, "consent").data(button="allow"))
    )
    assert allowed.status_code in (302, 303)
    assert "code=" in allowed.headers["location"]


async def test_cross_site_post_without_cookie_is_refused(
    app: FastAPI, admin: Admin, browser: Browser
) -> None:
    """A forged post from another site carries no SameSite=Lax cookie: no code is issued."""
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    page = await browser.get(authorize_url(client_id))
    consent = await browser.submit(
        page, "signin", fill={"email": customer.email, "password": customer.password}
    )
    data = dict(form_for(consent.text, "consent").data(button="allow"))
    async with Browser(app) as attacker:
        response = await attacker.http.post("/ap/oa", data=data)
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_tampered_or_old_request_field_is_an_error_page(admin: Admin, browser: Browser) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    page = await browser.get(authorize_url(client_id))
    form = form_for(page.text, "signin")
    signed = form.value("request")
    assert signed is not None
    forged = dict(form.data({"request": tampered(signed), "email": customer.email}))
    response = await browser.http.post("/ap/oa", data=forged)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "expired" in response.text
    await admin.advance_clock(16 * 60)  # the signed request lives 15 minutes on localexa's clock
    late = await browser.submit(page, "signin", fill={"email": customer.email, "password": customer.password})
    assert late.status_code == 400
    assert "location" not in late.headers


async def test_form_post_with_wrong_content_type_is_an_html_error(browser: Browser) -> None:
    response = await browser.http.post("/ap/oa", content=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")


async def test_unknown_pages_and_methods_answer_html(client: httpx.AsyncClient) -> None:
    missing = await client.get("/ap/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    wrong = await client.put("/ap/oa")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD, POST"
    assert wrong.headers["content-type"].startswith("text/html")


async def test_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/ap/static/lwa.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ".card" in response.text


def _readable_parts(value: str) -> str:
    """What anyone could read of a form field: each `.`-separated part base64-decoded (and
    inflated, as itsdangerous compresses a long payload)."""
    texts = []
    for part in value.split("."):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except ValueError:
            continue
        with contextlib.suppress(zlib.error):
            raw = zlib.decompress(raw)
        texts.append(raw.decode("latin-1"))
    return "\n".join(texts)


async def test_the_request_field_is_sealed_not_only_signed(admin: Admin, browser: Browser) -> None:
    """The hidden `request` field reaches the journal with the form body: it must not carry the
    authorization request readable, a `plain` PKCE challenge (the verifier itself) least of all."""
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    verifier = "plain-verifier-" + "v" * 40
    url = authorize_url(
        client_id, state="st-sealed-7", code_challenge=verifier, code_challenge_method="plain"
    )
    page = await browser.get(url)
    field = form_for(page.text, "signin").value("request")
    assert field
    readable = _readable_parts(field)
    for secret in (verifier, "st-sealed-7", REDIRECT_URI):
        assert secret not in readable
    consent = await browser.submit(
        page, "signin", fill={"email": customer.email, "password": customer.password}
    )
    assert consent.status_code == 200
    answer = await browser.submit(consent, "consent", button="allow")
    assert redirect_params(answer)["state"] == "st-sealed-7"
    journal = (
        await browser.http.get("/_localexa/journal", headers={"X-Localexa-Admin-Key": ADMIN_KEY})
    ).json()
    bodies = " ".join(f"{e['requestBody']} {e['responseBody']}" for e in journal["entries"])
    fields = re.findall(r'request=([^&\s]+)|name="request" value="([^"]+)"', bodies)
    assert len(fields) >= 3  # the sign-in and consent forms posted, and the consent page's forms
    for field in (posted or shown for posted, shown in fields):
        assert verifier not in _readable_parts(field)
    assert verifier not in bodies


@pytest.mark.parametrize("first", ["allow", "deny"])
async def test_an_answered_consent_form_is_spent(admin: Admin, browser: Browser, first: str) -> None:
    """Back after consent (or a second click) posted the same form again and got another code
    (QA in Chromium, 2026-12-05); the answer now gives the session a new id, so the old form is an
    out-of-date one. The browser stays signed in: the next authorization skips the password."""
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    page = await browser.get(authorize_url(client_id))
    consent = await browser.submit(
        page, "signin", fill={"email": customer.email, "password": customer.password}
    )
    answered = await browser.submit(consent, "consent", button=first)
    assert answered.status_code == 302
    assert ("code" if first == "allow" else "error") in redirect_params(answered)
    assert "set-cookie" in answered.headers

    again = await browser.http.post(
        "/ap/oa", data=dict(form_for(consent.text, "consent").data(button="allow"))
    )
    assert again.status_code == 400
    assert "location" not in again.headers
    assert "out of date" in again.text
    assert form_for(again.text, "consent")  # still signed in, on the session's own page

    next_page = await browser.get(authorize_url(client_id))
    assert form_for(next_page.text, "consent")
    assert (await browser.submit(next_page, "consent", button="allow")).status_code == 302
