"""Login with Amazon against spec §3 and RFC 6749: error descriptions, token sizes and lifetimes,
and the authorization request and JSON exchange ask-cli makes."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.errors import description_text
from tests.factories import Admin
from tests.lwa.browser import REDIRECT_URI, Browser, authorize_url, redirect_params

TOKEN = "/auth/o2/token"
#: RFC 6749 §5.2 / §4.1.2.1: error_description is %x20-21 / %x23-5B / %x5D-7E.
DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with Browser(app) as b:
        yield b


async def test_error_descriptions_quoting_the_request_stay_within_rfc_6749s_characters(
    client: httpx.AsyncClient, admin: Admin, browser: Browser
) -> None:
    skill = await admin.skill()
    creds = {"client_id": skill.messaging_client_id, "client_secret": skill.messaging_client_secret}
    odd = 'caf\u00e9 "q" \\ \u2603'
    answers = [
        await client.post(TOKEN, data={"grant_type": odd}),
        await client.post(TOKEN, data={"grant_type": "client_credentials", "scope": odd, **creds}),
        await client.post(TOKEN, json={"grant_type": odd}),
        await client.post(TOKEN, content=f"grant_type={quote(odd)}".encode()),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        description = answer.json()["error_description"]
        assert DESCRIPTION.fullmatch(description), description
        assert "U+00E9" in description  # what it quoted is still told
    for answer in (answers[0], answers[2], answers[3]):
        # Each character once, as sent: the value was quoted with repr() first, so one backslash
        # read `U+005CU+005C` and a newline `U+005Cn` (QA of 2026-12-05).
        description = answer.json()["error_description"]
        assert "cafU+00E9 'q' U+005C U+2603" in description, description
    newline = await client.post(TOKEN, data={"grant_type": "a\nb"})
    assert "'aU+000Ab'" in newline.json()["error_description"]
    client_id, _ = await admin.lwa_client()
    for params_sent, error in (
        ({"response_type": odd}, "unsupported_response_type"),
        ({"code_challenge": "x" * 43, "code_challenge_method": "S\\256"}, "invalid_request"),
    ):
        refused = await browser.get(authorize_url(client_id, **params_sent))
        params = redirect_params(refused)
        assert params["error"] == error
        assert DESCRIPTION.fullmatch(params["error_description"]), params
    assert "'SU+005C256'" in params["error_description"]


async def test_errors_core_renders_for_lwa_paths_stay_within_rfc_6749s_characters(
    client: httpx.AsyncClient,
) -> None:
    """Errors raised before any LWA handler (an unknown path under /auth/o2, a wrong method) quote
    the path: their descriptions pass the same RFC 6749 §5.2 filter."""
    unknown = await client.post("/auth/o2/tok%C3%A9n%22", data={"grant_type": "x"})
    assert unknown.status_code == 404
    description = unknown.json()["error_description"]
    assert DESCRIPTION.fullmatch(description), description
    assert "tokU+00E9n'" in description


async def test_localexas_own_typography_reads_as_ascii_words_in_lwa_descriptions(
    client: httpx.AsyncClient,
) -> None:
    """`§6.1` read `U+00A76.1` in an error_description (re-verification of 2026-12-06): the
    section sign of localexa's own text is the word `section`, `±` `+/-`, `…` `...`; the JSON
    families keep the characters."""
    coded = {"Transfer-Encoding": "gzip", "Content-Type": "application/x-www-form-urlencoded"}
    refused = await client.post(TOKEN, content=b"grant_type=x", headers=coded)
    assert refused.status_code == 501, refused.text
    description = refused.json()["error_description"]
    assert "(RFC 9112 section 6.1)" in description, description
    assert DESCRIPTION.fullmatch(description), description
    beyond = await client.post(
        TOKEN, content=b'{"grant_type": "x", "n": 1e400}', headers={"Content-Type": "application/json"}
    )
    assert beyond.status_code == 400, beyond.text
    assert "+/-1.8e308" in beyond.json()["error_description"], beyond.text
    customer = await client.post("/v1/alexaApiEndpoint", content=b"x", headers={"Transfer-Encoding": "gzip"})
    assert customer.status_code == 501, customer.text
    assert "(RFC 9112 §6.1)" in customer.json()["message"], customer.text


async def test_a_quoted_request_value_keeps_its_code_points_beside_localexas_ascii_words(
    client: httpx.AsyncClient,
) -> None:
    """The ASCII words are localexa's own text's: a grant_type `a…b§1±2` was quoted back as
    `'a...bsection 1+/-2'`, as if the client had sent that (rev3 QA)."""
    sent = "a\u2026b\u00a71\u00b12"
    for value, told in ((sent, "'aU+2026bU+00A71U+00B12'"), ("x'\u00a71' y", "'x'U+00A71' y'")):
        refused = await client.post(TOKEN, data={"grant_type": value})
        assert refused.status_code == 400, refused.text
        description = refused.json()["error_description"]
        assert f"The grant_type {told} is not supported." == description, description
        assert DESCRIPTION.fullmatch(description), description
    coded = {"Transfer-Encoding": "gzip", "Content-Type": "application/x-www-form-urlencoded"}
    own = await client.post(TOKEN, content=b"grant_type=x", headers=coded)
    assert "(RFC 9112 section 6.1)" in own.json()["error_description"], own.text


#: A value holding `' ` (apostrophe, space): its quote ended at that apostrophe, and the rest read as
#: localexa's own text, in ASCII words (`it' s section 1 ... U+00E9'`, QA of 2026-12-06).
APOSTROPHE_SPACE = "it' s \u00a71 \u2026 \u00e9"
APOSTROPHE_SPACE_TOLD = "'it' s U+00A71 U+2026 U+00E9'"


async def test_a_quoted_value_holding_an_apostrophe_and_a_space_is_quoted_whole(
    client: httpx.AsyncClient, admin: Admin, browser: Browser
) -> None:
    for value, told in (
        (APOSTROPHE_SPACE, APOSTROPHE_SPACE_TOLD),
        ("it'. \u2026", "'it'. U+2026'"),  # any end of a quote: a full stop, a comma, …
        ("a' \u2026' \u2026", "'a' U+2026' U+2026'"),
    ):
        refused = await client.post(TOKEN, data={"grant_type": value})
        assert refused.status_code == 400, refused.text
        description = refused.json()["error_description"]
        assert description == f"The grant_type {told} is not supported.", description
    skill = await admin.skill()
    scoped = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": APOSTROPHE_SPACE},
        auth=(skill.messaging_client_id, skill.messaging_client_secret),
    )
    assert scoped.status_code == 400, scoped.text
    description = scoped.json()["error_description"]
    assert description == f"The scope {APOSTROPHE_SPACE_TOLD} is not available with client_credentials.", (
        description
    )
    client_id, _ = await admin.lwa_client()
    for params_sent, said in (
        # A scope ends at a space: `'.` ended the quote as `' ` did.
        ({"scope": "it'.\u2026\u00a71"}, "The scope 'it'.U+2026U+00A71' is not known."),
        (
            {"response_type": APOSTROPHE_SPACE},
            f"response_type {APOSTROPHE_SPACE_TOLD} is not supported; use code.",
        ),
    ):
        params = redirect_params(await browser.get(authorize_url(client_id, **params_sent)))
        assert params["error_description"] == said, params


@pytest.mark.parametrize(
    ("text", "told"),
    [
        # A `str` is localexa's own text, all of it: nothing in it is guessed to be a value (a
        # value the request sent comes as a `Sent` part, core/message_parts.py).
        ("'a' \u00a71 'b' \u2026", "'a' section 1 'b' ..."),
        ("'it' s \u00a71' (\u00a71) 'b' \u2026", "'it' s section 1' (section 1) 'b' ..."),
        ('"it" s \u00a71" \u2026', "'it' s section 1' ..."),
        # A section sign or a plus-minus before no number names none: its code point.
        ("\u00a7 \u00b1x caf\u00e9", "U+00A7 U+00B1x cafU+00E9"),
        ("", ""),
    ],
)
def test_description_text_reads_a_str_as_localexas_own_words(text: str, told: str) -> None:
    """Until the night of 2026-12-06 a `str`'s quoted spans were guessed to be the request's
    values, and a value whose quotes the guess misread was cut in two."""
    assert description_text(text) == told


#: Values that read as two quoted values with localexa's words between them: their quoted spans
#: were guessed from the finished text, so `a' §1 'b` read `'a' section 1 'b'` (revn QA F2).
LOOKS_LIKE_TWO = (
    ("a' \u00a71 'b", "'a' U+00A71 'b'"),
    ("x' \u2026 'y \u00b12", "'x' U+2026 'y U+00B12'"),
)


async def test_a_value_that_looks_like_two_quoted_values_keeps_its_code_points(
    client: httpx.AsyncClient, admin: Admin, browser: Browser
) -> None:
    for value, told in LOOKS_LIKE_TWO:
        refused = await client.post(TOKEN, data={"grant_type": value})
        assert refused.status_code == 400, refused.text
        assert refused.json()["error_description"] == f"The grant_type {told} is not supported.", refused.text
    skill = await admin.skill()
    scoped = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "alexa::x' \u00a71 'b"},
        auth=(skill.messaging_client_id, skill.messaging_client_secret),
    )
    description = scoped.json()["error_description"]
    assert description == "The scope 'alexa::x' U+00A71 'b' is not available with client_credentials.", (
        description
    )
    client_id, _ = await admin.lwa_client()
    params = redirect_params(await browser.get(authorize_url(client_id, response_type=LOOKS_LIKE_TWO[0][0])))
    assert params["error_description"] == f"response_type {LOOKS_LIKE_TWO[0][1]} is not supported; use code."


@pytest.mark.parametrize(
    ("path", "told"),
    [
        ("/auth/o2/a%C2%A71", "/auth/o2/aU+00A71"),
        ("/auth/o2/a%E2%80%A6b", "/auth/o2/aU+2026b"),
        ("/auth/o2/%C2%B11", "/auth/o2/U+00B11"),
    ],
)
async def test_an_unknown_path_under_auth_o2_keeps_its_code_points(
    client: httpx.AsyncClient, path: str, told: str
) -> None:
    """A path is the request's, not localexa's words: `/auth/o2/a%C2%A71` read
    `No resource at GET /auth/o2/asection 1.` (revn QA F3)."""
    for method in ("GET", "PUT"):
        unknown = await client.request(method, path)
        assert unknown.status_code == 404, unknown.text
        assert unknown.json()["error_description"] == f"No resource at {method} {told}.", unknown.text


def test_described_parts_keep_the_request_values_as_sent() -> None:
    from localexa.server.core.errors import Described, Sent

    described = Described.of("\u00a71 '", Sent("a' \u00a71 'b"), "' \u2026 ", Sent('\u00b12"'))
    assert description_text(described) == "section 1 'a' U+00A71 'b' ... U+00B12'"
    assert str(described) == "\u00a71 'a' \u00a71 'b' \u2026 \u00b12\""


def test_description_text_takes_linear_time_on_many_quotes() -> None:
    """Quotes that open and never close, or close and never open: each is looked at once."""
    for text in ("'a " * 20_000, "a' " * 20_000, "'a' " * 20_000, " '" * 20_000 + "'"):
        started = time.perf_counter()
        assert DESCRIPTION.fullmatch(description_text(text + "x"))
        assert time.perf_counter() - started < 1.0, text[:12]


async def test_an_unknown_scope_is_quoted_so_it_keeps_its_code_points(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """The client_credentials grant named an unknown scope unquoted, so `x…§1` read `x...section 1`
    (rev4 QA); quoted, it keeps its code points as every other value a request sent."""
    skill = await admin.skill()
    refused = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "x\u2026\u00a71"},
        auth=(skill.messaging_client_id, skill.messaging_client_secret),
    )
    assert refused.status_code == 400, refused.text
    description = refused.json()["error_description"]
    assert description == "The scope 'xU+2026U+00A71' is not available with client_credentials.", description
    assert DESCRIPTION.fullmatch(description), description


async def test_tokens_have_amazons_prefixes_and_sizes(client: httpx.AsyncClient, admin: Admin) -> None:
    """Access tokens `Atza|` (`Atc|` for client_credentials, Amazon's skill messaging page), at
    least 350 characters, at most 2048 bytes; refresh tokens `Atzr|`, at most 2048 bytes (spec §3
    "Token success response")."""
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client()
    pair = await admin.tokens(client_id, customer.user_id, ["profile", "alexa::skills:account_linking"])
    refreshed = await client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]},
        auth=(client_id, secret),
    )
    skill = await admin.skill()
    messaging = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "alexa:skill_messaging"},
        auth=(skill.messaging_client_id, skill.messaging_client_secret),
    )
    for body, prefix in ((pair, "Atza|"), (refreshed.json(), "Atza|"), (messaging.json(), "Atc|")):
        assert body["access_token"].startswith(prefix)
        assert len(body["access_token"]) >= 350
        assert len(body["access_token"].encode()) <= 2048
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 3600
        if "refresh_token" in body:
            assert body["refresh_token"].startswith("Atzr|")
            assert len(body["refresh_token"].encode()) <= 2048
    assert "refresh_token" not in messaging.json()


async def test_a_code_lives_five_minutes_and_a_refresh_token_never_expires(
    client: httpx.AsyncClient, admin: Admin, browser: Browser
) -> None:
    """ "The Amazon authorization code is valid for five minutes" (skill-enablement seed); refresh
    tokens "never expire unless revoked" (spec §3): 295 s into the code's 300 (5 s for a loaded
    machine's own pace), and after a year."""
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client()
    code = await browser.code_for(client_id, customer.email, customer.password)
    await admin.advance_clock(295)
    exchanged = await client.post(
        TOKEN,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=(client_id, secret),
    )
    assert exchanged.status_code == 200, exchanged.text
    await admin.advance_clock(366 * 24 * 3600)
    refreshed = await client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": exchanged.json()["refresh_token"]},
        auth=(client_id, secret),
    )
    assert refreshed.status_code == 200, refreshed.text


ASK_CLI_SCOPES = (
    "alexa::ask:skills:readwrite alexa::ask:models:readwrite alexa::ask:skills:test "
    "alexa::ask:catalogs:read alexa::ask:catalogs:readwrite alexa::ask:subscriptions alexa::ask:skills:debug"
)


async def test_ask_cli_authorize_url_and_json_code_exchange(
    client: httpx.AsyncClient, admin: Admin, browser: Browser
) -> None:
    """ask-cli (lwa-auth-code-client): `response_type, client_id, state (Date.now()), scope,
    redirect_uri=http://127.0.0.1:9090/cb` in that order, encoded by Node's querystring; the code
    is exchanged as JSON; the answer must hold `expires_in` (it refuses one without)."""
    loopback = "http://127.0.0.1:9090/cb"
    customer = await admin.customer()
    client_id, secret = await admin.lwa_client(redirect_uris=[loopback])
    query = "&".join(
        f"{name}={quote(value, safe='')}"
        for name, value in (
            ("response_type", "code"),
            ("client_id", client_id),
            ("state", "1700000000000"),
            ("scope", ASK_CLI_SCOPES),
            ("redirect_uri", loopback),
        )
    )
    answer = await browser.authorize(f"/ap/oa?{query}", email=customer.email, password=customer.password)
    location = answer.headers["location"]
    assert location.startswith(loopback + "?")
    params = dict(parse_qsl(urlsplit(location).query))
    assert params["state"] == "1700000000000"
    assert params["scope"] == ASK_CLI_SCOPES
    exchanged = await client.post(
        TOKEN,
        json={
            "grant_type": "authorization_code",
            "redirect_uri": loopback,
            "client_id": client_id,
            "client_secret": secret,
            "code": params["code"],
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.headers["content-type"] == "application/json"
    assert isinstance(exchanged.json()["expires_in"], int)
    refreshed = await client.post(
        TOKEN,
        json={
            "grant_type": "refresh_token",
            "refresh_token": exchanged.json()["refresh_token"],
            "client_id": client_id,
            "client_secret": secret,
        },
        headers={"content-type": "application/json"},
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["expires_in"] == 3600


async def test_a_client_id_over_100_bytes_is_the_error_page(client: httpx.AsyncClient) -> None:
    """`client_id` is at most 100 bytes (spec §3): a longer one names no client, and the page
    never redirects for an unknown client (RFC 6749 §4.1.2.1)."""
    response = await client.get(authorize_url("amzn1.application-oa2-client." + "a" * 100))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
