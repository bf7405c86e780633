"""No token, code, password or secret reaches the journal, whatever the API and body shape."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from localexa.server.observe.redaction import (
    REDACTED,
    redact_body,
    redact_headers,
    redact_json,
    redact_query,
    redact_text,
    redact_url,
)
from tests.conftest import ADMIN_KEY
from tests.factories import Admin
from tests.observe.helpers import ADMIN

TOKEN = "Atza|IwEBIKx-abc_DEF.123~xyz"
NETWORK_KEY = "00112233445566778899aabbccddeeff"
PSKC = "ffeeddccbbaa99887766554433221100"


@pytest.mark.parametrize(
    "field",
    [
        "access_token",
        "refresh_token",
        "client_secret",
        "code_verifier",
        "password",
        "networkKey",
        "pskc",
        "clientSecret",
        "authCode",
        "codeVerifier",
        "token",
        "code",
    ],
)
def test_secret_json_fields_are_redacted_at_any_depth(field: str) -> None:
    body = {"outer": [{"inner": {field: "s3cr3t-value"}}]}
    assert redact_json(body) == {"outer": [{"inner": {field: REDACTED}}]}


def test_directive_scope_token_and_grant_code_are_redacted() -> None:
    directive = {
        "directive": {
            "header": {"namespace": "Alexa.Authorization", "name": "AcceptGrant", "correlationToken": "c-1"},
            "endpoint": {"scope": {"type": "BearerToken", "token": "skill-token"}},
            "payload": {
                "grant": {"type": "OAuth2.AuthorizationCode", "code": "grant-code"},
                "grantee": {"type": "BearerToken", "token": "grantee-token"},
            },
        }
    }
    text = redact_body(json.dumps(directive).encode(), "application/json") or ""
    for secret in ("skill-token", "grant-code", "grantee-token"):
        assert secret not in text
    assert '"correlationToken":"c-1"' in text  # not a credential


def test_error_codes_and_page_tokens_stay_readable() -> None:
    body = {
        "code": "NOT_FOUND",
        "message": "No skill.",
        "violations": [{"code": "INVALID", "message": "m"}],
        "payload": {"code": "SKILL_DISABLED_EXCEPTION", "description": "d"},
        "paginationContext": {"nextToken": "page-2"},
    }
    assert redact_json(body) == body


def test_lwa_tokens_are_redacted_in_any_text() -> None:
    text = f"token {TOKEN} and Atzr|refresh-part and url-encoded Atza%7Cabc%2Bdef"
    scrubbed = redact_text(text)
    assert "IwEBIKx" not in scrubbed
    assert "refresh-part" not in scrubbed
    assert "abc%2Bdef" not in scrubbed
    assert scrubbed.count(REDACTED) == 3


def test_form_query_url_and_headers() -> None:
    form = b"grant_type=authorization_code&code=abc&code_verifier=v&client_id=app&client_secret=s"
    redacted_form = redact_body(form, "application/x-www-form-urlencoded") or ""
    assert "client_id=app" in redacted_form
    assert "grant_type=authorization_code" in redacted_form
    for value in ("code=abc", "code_verifier=v&", "client_secret=s"):
        assert value not in redacted_form
    assert "abc" not in redact_query("access_token=abc&x=1")
    assert "x=1" in redact_query("access_token=abc&x=1")
    url = redact_url("https://user:pw@app.example.com/cb?code=abc&state=xyz")
    assert "pw" not in url
    assert "abc" not in url
    assert "state=xyz" in url
    headers = redact_headers(
        {
            "Authorization": "Bearer x",
            "Cookie": "session=y",
            "X-Localexa-Admin-Key": "k",
            "Location": "https://app/cb?code=zzz&state=s",
            "Content-Type": "application/json",
        }
    )
    assert headers["authorization"] == REDACTED
    assert headers["cookie"] == REDACTED
    assert headers["x-localexa-admin-key"] == REDACTED
    assert "zzz" not in headers["location"]
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"name": "x", "password": "hunter2-and-more', id="json-cut-in-secret"),
        pytest.param(b'{"clientSecret":"abc\\"def","x":1', id="json-escaped-quote"),
        pytest.param(b"grant_type=refresh_token&refresh_token=hunter2", id="form-as-text"),
        pytest.param(b'<input type="hidden" name="code" value="hunter2">', id="html"),
    ],
)
def test_unparseable_bodies_are_scrubbed_by_pattern(body: bytes) -> None:
    text = redact_body(body, "text/plain", truncated=True) or ""
    assert "hunter2" not in text
    assert 'abc\\"def' not in text
    assert REDACTED in text


@pytest.mark.parametrize(
    "text",
    [
        "plain header value",
        f"Bearer {TOKEN}",
        f"token={TOKEN}&x=1",
        'say "password": "hunter2"',
        '{"Password" :"hunter2"}',
        "a=1; PASSWORD=hunter2",
        "<INPUT NAME='code' VALUE='hunter2'>",
        "Atzr%7Cabc and Atza|def",
        "method=GET path=/v1/x status=200 latency_ms=1.0",
        'odd "quote" without a field',
        "POST http://tokuser:hunter2@127.0.0.1:9/token",
        "mail me at a@b.test, see https://example.com",
    ],
)
def test_the_cheap_prechecks_change_no_result(text: str) -> None:
    """redact_text skips a pattern when a character it needs is absent: never a different answer."""
    from localexa.server.observe import redaction as r

    reference = r._LWA_TOKEN.sub(lambda m: f"{m.group(1)}|{REDACTED}", text)
    reference = r._URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", reference)
    reference = r._JSON_FIELD.sub(lambda m: f'{m.group(1)}"{REDACTED}"', reference)
    reference = r._FORM_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", reference)
    reference = r._HTML_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}", reference)
    assert redact_text(text) == reference
    assert "hunter2" not in redact_text(text)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{'threadNetwork': {'networkKey': 'hunter2', 'x': 1}}", id="python-repr"),
        pytest.param(b'{threadNetwork: {networkKey: "hunter2", x: 1}}', id="js-object-literal"),
        pytest.param(b'{"threadNetwork": {"networkKey": hunter2, "x": 1}}', id="unquoted-value"),
        pytest.param(b"{pskc: 'hunter2'}", id="unquoted-key-single-quoted-value"),
        pytest.param(b'{"password":hunter2}', id="bare-value-at-the-end"),
    ],
)
def test_near_json_bodies_are_scrubbed_too(body: bytes) -> None:
    """A client that gets JSON wrong still sent its secret: it must not reach the journal."""
    text = redact_body(body, "application/json") or ""
    assert "hunter2" not in text
    assert REDACTED in text


def test_a_password_in_a_url_is_redacted_in_text_and_json_strings() -> None:
    """A skill's accessTokenUrl may carry user:password@ (httpx logs the URL it posts to)."""
    line = "HTTP Request: POST http://tokuser:hunter2@127.0.0.1:18299/token, then https://a:b@c.test/x"
    assert redact_text(line) == (
        f"HTTP Request: POST http://{REDACTED}@127.0.0.1:18299/token, then https://{REDACTED}@c.test/x"
    )
    body = json.dumps({"accountLinking": {"accessTokenUrl": "https://u:hunter2@skill.test/token"}}).encode()
    assert "hunter2" not in (redact_body(body, "application/json") or "")
    assert redact_text("contact dev@example.com") == "contact dev@example.com"


def test_a_body_decoded_by_the_caller_is_redacted_the_same() -> None:
    body = json.dumps({"threadNetwork": {"networkKey": NETWORK_KEY, "networkName": "Home"}}).encode()
    decoded = json.loads(body)
    assert redact_body(body, "application/json", decoded=decoded) == redact_body(body, "application/json")
    assert NETWORK_KEY not in (redact_body(body, "application/json", decoded=decoded) or "")
    # Truncated bodies are scrubbed by pattern even when a decoded value is passed.
    cut = b'{"networkKey": "' + NETWORK_KEY.encode()
    assert NETWORK_KEY not in (redact_body(cut, "application/json", truncated=True, decoded={}) or "")


async def _call(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    return await client.request(method, url, **kwargs)


def _tokens_in(response: httpx.Response) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    found = [body[k] for k in ("access_token", "refresh_token") if isinstance(body.get(k), str)]
    creds = body.get("skillMessagingCredentials")
    if isinstance(creds, dict) and isinstance(creds.get("clientSecret"), str):
        found.append(creds["clientSecret"])
    return found


async def test_no_token_or_secret_anywhere_in_the_journal(client: httpx.AsyncClient, admin: Admin) -> None:
    developer = await admin.customer(name="Dev", password="dev-password-123")
    customer = await admin.customer(name="Ada", password="ada-password-456")
    client_id, client_secret = await admin.lwa_client()
    skill = await admin.skill(
        developer,
        permissions=["alexa::async_event:write", "alexa::thread_network_credentials:read"],
        account_linking={
            "type": "AUTH_CODE",
            "authorizationUrl": "http://127.0.0.1:9/authorize",
            "accessTokenUrl": "http://127.0.0.1:9/token",
            "clientId": "alexa-skill",
            "clientSecret": "linking-client-secret-789",
            "accessTokenScheme": "HTTP_BASIC",
            "scopes": ["lights"],
        },
    )
    user_pair = await admin.tokens(client_id, customer.user_id, ["profile", "alexa::skills:account_linking"])
    dev_pair = await admin.tokens(client_id, developer.user_id, ["alexa::ask:skills:readwrite"])
    skill_pair = await admin.tokens(skill.messaging_client_id, customer.user_id, ["alexa::async_event:write"])
    secrets_: list[str] = [
        "dev-password-123",
        "ada-password-456",
        client_secret,
        "linking-client-secret-789",
        skill.messaging_client_secret,
        ADMIN_KEY,
        "app-auth-code-1",
        "pkce-verifier-1",
        NETWORK_KEY,
        PSKC,
        "lwa-code-2",
    ]
    for pair in (user_pair, dev_pair, skill_pair):
        secrets_ += [pair["access_token"], pair["refresh_token"]]
    access, refresh = user_pair["access_token"], user_pair["refresh_token"]
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    skill_id = skill.skill_id
    responses = [
        await _call(client, "GET", "/user/profile", headers={"Authorization": f"Bearer {access}"}),
        await _call(client, "GET", "/user/profile", params={"access_token": access}),
        await _call(client, "GET", "/user/profile", headers={"x-amz-access-token": access}),
        await _call(client, "GET", "/auth/o2/tokeninfo", params={"access_token": access}),
        await _call(
            client,
            "POST",
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        ),
        await _call(
            client,
            "POST",
            "/auth/o2/token",
            json={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        ),
        await _call(
            client,
            "POST",
            "/auth/O2/token",
            headers={"Authorization": f"Basic {basic}"},
            data={
                "grant_type": "authorization_code",
                "code": "lwa-code-2",
                "code_verifier": "pkce-verifier-1",
            },
        ),
        await _call(
            client,
            "GET",
            f"/v1/skills/{skill_id}/credentials",
            headers={"Authorization": dev_pair["access_token"]},  # no Bearer prefix, as ask-cli sends
        ),
        await _call(
            client,
            "POST",
            f"/v1/users/~current/skills/{skill_id}/enablement",
            headers={"Authorization": f"Bearer {access}"},
            json={
                "stage": "development",
                "accountLinkRequest": {
                    "redirectUri": "https://app.example.com/cb",
                    "authCode": "app-auth-code-1",
                    "type": "AUTH_CODE",
                    "codeVerifier": "pkce-verifier-1",
                },
            },
        ),
        await _call(
            client,
            "PUT",
            "/credentiallocker/v2/threadNetworks",
            headers={"Authorization": f"Bearer {skill_pair['access_token']}"},
            json={
                "threadNetwork": {
                    "extendedPanId": "0011223344556677",
                    "networkName": "home",
                    "networkKey": NETWORK_KEY,
                    "pskc": PSKC,
                }
            },
        ),
        await _call(
            client,
            "GET",
            "/credentiallocker/v2/threadNetworks",
            headers={"Authorization": f"Bearer {skill_pair['access_token']}"},
        ),
        await _call(
            client,
            "POST",
            "/v3/events",
            headers={"Authorization": f"Bearer {skill_pair['access_token']}"},
            json={
                "event": {
                    "header": {"namespace": "Alexa", "name": "ChangeReport", "payloadVersion": "3"},
                    "endpoint": {
                        "scope": {"type": "BearerToken", "token": skill_pair["access_token"]},
                        "endpointId": "light-1",
                    },
                    "payload": {},
                }
            },
        ),
        await _call(
            client,
            "GET",
            "/ap/oa",
            params={
                "client_id": client_id,
                "scope": "profile",
                "response_type": "code",
                "redirect_uri": "https://app.example.com/cb",
                "state": "st",
            },
        ),
    ]
    for response in responses:
        secrets_ += _tokens_in(response)
    assert [r.status_code for r in responses[:6]] == [200] * 6  # the token calls did succeed
    entries = (await client.get("/_localexa/journal", params={"limit": 1000}, headers=ADMIN)).json()
    dumped = json.dumps(entries)
    assert len(entries["entries"]) >= len(responses) + 9  # the admin calls above, and every API call
    for secret in secrets_:
        assert secret not in dumped, f"a secret leaked into the journal: {secret[:8]}…"
        if "|" in secret:  # also the random part alone, in case the prefix was encoded
            assert secret.split("|", 1)[1] not in dumped
    assert "Atza|[redacted]" in dumped or "[redacted]" in dumped


def test_a_pkce_challenge_is_redacted_in_the_authorize_query() -> None:
    """A `plain` challenge is the verifier itself (RFC 7636 §4.2): the /ap/oa entry kept it in
    clear while the token endpoint's entry hid the verifier."""
    query = "client_id=app&scope=profile&code_challenge=the-verifier-itself&code_challenge_method=plain"
    redacted = redact_query(query)
    assert "the-verifier-itself" not in redacted
    assert "code_challenge_method=plain" in redacted
    assert "client_id=app" in redacted


def test_a_query_string_in_a_bytes_repr_is_scrubbed_from_its_first_field() -> None:
    """uvicorn's trace line prints the ASGI scope: `'query_string': b'access_token=…'`. The first
    field, after `b'`, was left in clear (only one after `&` was scrubbed; QA of 2026-12-05)."""
    line = "{'query_string': b'access_token=PLAINSECRET1'} {'q': b\"client_secret=PLAINSECRET2&x=1\"}"
    scrubbed = redact_text(line)
    assert "PLAINSECRET1" not in scrubbed
    assert "PLAINSECRET2" not in scrubbed
    assert "access_token=[redacted]" in scrubbed
    assert "&x=1" in scrubbed


@pytest.mark.parametrize(
    "name",
    [
        "access%5Ftoken",
        "access%5ftoken",
        "%61ccess_token",
        "client%5Fsecret",
        "%63%6F%64%65",
        "network%2Dkey",
    ],
)
def test_a_field_name_with_percent_escapes_is_scrubbed(name: str) -> None:
    """A form parser decodes the name (`access%5Ftoken` is access_token to Starlette and
    parse_qsl), so the server read the secret; log text left it in clear (QA of 2026-12-05)."""
    line = f"{{'query_string': b'{name}=PLAINSECRET1&x=1'}} GET /p?y=2&{name}=PLAINSECRET2 HTTP/1.1"
    scrubbed = redact_text(line)
    assert "PLAINSECRET" not in scrubbed
    assert f"{name}=[redacted]" in scrubbed  # the name as sent
    assert "&x=1" in scrubbed


def test_an_ordinary_field_with_percent_escapes_stays() -> None:
    line = "GET /p?redirect%5Furi=https%3A%2F%2Fx&state=a%20b HTTP/1.1"
    assert redact_text(line) == line
