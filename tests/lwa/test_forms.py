"""The lenient token-body reader (lwa/forms.py): unencoded bodies as Amazon's Python runtime sends
them, encoded ones as everyone else does, and HTTP Basic client credentials."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest

from localexa.server.core.crypto import random_token
from localexa.server.core.errors import OAuthError
from localexa.server.lwa.forms import parse_basic_auth, parse_lenient_form, parse_token_body

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("Atzr|IwEB-abc_DEF-123_xyz", id="dash-underscore"),
        pytest.param("Atzr|IwEBa+b/c=d==", id="plus-slash-equals"),
        pytest.param("Atzr|" + "+" * 5, id="only-plus"),
    ],
)
def test_unencoded_body_keeps_every_character(token: str) -> None:
    body = (
        "grant_type=refresh_token&client_id=amzn1.application-oa2-client.ab&client_secret=s+t"
        f"&refresh_token={token}"
    )
    params = parse_lenient_form(body)
    assert params["refresh_token"] == token
    assert params["client_secret"] == "s+t"  # no encoder leaves `|` raw, so `+` is a plus here


def test_real_refresh_tokens_survive_both_ways() -> None:
    for _ in range(50):
        token = random_token("Atzr|", 96)
        raw = parse_lenient_form(f"grant_type=refresh_token&refresh_token={token}")
        encoded = parse_lenient_form(urlencode({"grant_type": "refresh_token", "refresh_token": token}))
        assert raw["refresh_token"] == token == encoded["refresh_token"]


def test_encoded_body_decodes_plus_and_percent() -> None:
    body = urlencode({"scope": "profile postal_code", "code_verifier": "a~b.c", "code": "a+b|c"})
    params = parse_lenient_form(body)
    assert params == {"scope": "profile postal_code", "code_verifier": "a~b.c", "code": "a+b|c"}


def test_empty_values_are_omitted_and_repeats_refused() -> None:
    assert parse_lenient_form("code=&scope=1&&grant_type") == {"scope": "1"}
    assert parse_lenient_form("code=&code=2") == {"code": "2"}
    with pytest.raises(OAuthError) as caught:
        parse_lenient_form("code=1&code=2")
    assert caught.value.code == "invalid_request"


@pytest.mark.parametrize(
    "body",
    [
        "grant_type=client_credentials&resource=https://a.example&resource=https://b.example",
        "grant_type=client_credentials&x=1&x=2&y=",
        "grant_type=client_credentials&resource=a|b&resource=c",  # the unencoded kind of body
    ],
)
def test_unrecognized_parameters_are_ignored_even_repeated(body: str) -> None:
    """RFC 6749 §3.2: "MUST ignore unrecognized request parameters" (RFC 8707 repeats
    `resource`): a repeated one was invalid_request (QA of 2026-12-05)."""
    assert parse_lenient_form(body) == {"grant_type": "client_credentials"}
    as_json = b'{"grant_type": "client_credentials", "resource": "a", "resource": "b", "n": 1}'
    assert parse_token_body("application/json", as_json) == {"grant_type": "client_credentials"}


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        pytest.param(FORM + "; charset=UTF-8", b"grant_type=x", {"grant_type": "x"}, id="form-charset"),
        pytest.param(None, b"grant_type=x", {"grant_type": "x"}, id="no-content-type"),
        pytest.param(
            "application/json", b'{"grant_type": "x", "scope": null}', {"grant_type": "x"}, id="json"
        ),
    ],
)
def test_content_types(content_type: str | None, body: bytes, expected: dict[str, str]) -> None:
    assert parse_token_body(content_type, body) == expected


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml"])
def test_other_content_types_are_invalid_request(content_type: str) -> None:
    with pytest.raises(OAuthError) as caught:
        parse_token_body(content_type, b"grant_type=x")
    assert caught.value.code == "invalid_request"
    assert caught.value.instance_status == 400


def test_basic_auth() -> None:
    def header(value: str) -> str:
        return "Basic " + base64.b64encode(value.encode()).decode()

    assert parse_basic_auth(None) is None
    assert parse_basic_auth("Bearer Atza|x") is None
    assert parse_basic_auth(header("id:se:cret")) == ("id", "se:cret")
    assert parse_basic_auth(header("id%3A1:a%2Bb")) == ("id:1", "a+b")
    assert parse_basic_auth(header("id:a+b")) == ("id", "a+b")
    for bad in ("Basic ***", header("no-colon"), header(":secret")):
        with pytest.raises(OAuthError) as caught:
            parse_basic_auth(bad)
        assert caught.value.code == "invalid_client"
        assert caught.value.instance_status == 401


def test_a_body_encoded_by_encode_uri_component_is_decoded() -> None:
    """encodeURIComponent and Node's querystring leave `! ' ( )` raw: such a body is still an
    encoded one (its redirect URI `https%3A%2F%2F…%2Fcb(1)` was read literally and refused)."""
    body = "grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb(1)!'&code=a%7Cb"
    params = parse_lenient_form(body)
    assert params["redirect_uri"] == "https://app.example.com/cb(1)!'"
    assert params["code"] == "a|b"
    # A raw `|` still makes the whole body literal, parentheses or not.
    assert parse_lenient_form("refresh_token=Atzr|a(b)%7C")["refresh_token"] == "Atzr|a(b)%7C"


def test_a_json_body_with_a_key_twice_is_refused() -> None:
    with pytest.raises(OAuthError) as caught:
        parse_token_body(
            "application/json", b'{"grant_type": "client_credentials", "grant_type": "password"}'
        )
    assert caught.value.code == "invalid_request"
    assert caught.value.message == "The parameter grant_type is included more than once."


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("scope=profile:user_id", id="colon"),
        pytest.param("scope=alexa::ask:skills:read", id="double-colon"),
        pytest.param("redirect_uri=https://app.example.com/cb?x=1,2;3$@", id="uri-characters"),
    ],
)
def test_a_raw_uri_query_character_does_not_make_the_body_literal(raw: str) -> None:
    """`curl --data-urlencode refresh_token=$REFRESH -d scope=profile:user_id` (README "3. Refresh"):
    `: / , ; $ @ ?` may stand raw in a URI query (RFC 3986 §3.4) and parse_qsl and the WHATWG form
    parser decode such a body. A raw `:` made the whole body literal, so `%7C` stayed `%7C` and the
    refresh token was `invalid_grant` (QA of 2026-12-06)."""
    body = f"refresh_token=Atzr%7Cabc-_9&{raw}&client_secret=a%2Bb&grant_type=refresh_token"
    params = parse_lenient_form(body)
    assert params["refresh_token"] == "Atzr|abc-_9"
    assert params["client_secret"] == "a+b"
    name, _, value = raw.partition("=")
    assert params[name] == value
    # A raw `|` still makes the whole body literal, `:` or not.
    literal = parse_lenient_form(f"refresh_token=Atzr|a+b&{raw}&code=a%7Cb")
    assert literal["refresh_token"] == "Atzr|a+b"
    assert literal["code"] == "a%7Cb"


def test_a_json_body_opening_with_a_byte_order_mark_is_read() -> None:
    """RFC 8259 §8.1 lets a parser ignore a byte order mark, and every other JSON body of localexa
    does (core/strict_json.py): the token endpoint answered "The request body is not valid JSON."
    (QA of 2026-12-07)."""
    body = b'\xef\xbb\xbf{"grant_type": "refresh_token", "refresh_token": "Atzr|x"}'
    params = parse_token_body("application/json", body)
    assert params == {"grant_type": "refresh_token", "refresh_token": "Atzr|x"}


@pytest.mark.parametrize("content_type", [FORM, None], ids=["form", "no-content-type"])
def test_a_form_body_opening_with_a_byte_order_mark_is_read_as_a_json_one_is(
    content_type: str | None,
) -> None:
    """The byte order mark is skipped before the form is read, as for JSON: it made the body
    "unencoded" (its `%7C` stayed `%7C`) and its first name `\ufeffgrant_type`, so the token
    endpoint answered that the request had no grant_type (QA of 2026-12-07)."""
    body = b"\xef\xbb\xbfgrant_type=refresh_token&refresh_token=Atzr%7Cx"
    params = parse_token_body(content_type, body)
    assert params == {"grant_type": "refresh_token", "refresh_token": "Atzr|x"}
