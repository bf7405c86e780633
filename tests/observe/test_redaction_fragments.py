"""Secrets the journal let through until 2026-12-06 (re-verification QA), and prose it hid.

A field after `#` (the implicit grant's `#access_token=…`), plain or `%23…%3D`, in a JSON string,
a nested redirect_uri or text; a field encoded three times (`%25253D`); JSON carried in a JSON
string. And, the other way: `code=500` in an error message's prose stays readable (JSON strings
went through the form pattern that morning, and `status code=500;` was stored as
`code=[redacted]`)."""

from __future__ import annotations

import json

import pytest

from localexa.server.observe.redaction import redact_body, redact_text


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.parametrize(
    ("body", "content_type", "secret"),
    [
        pytest.param(
            _json({"redirect_uri": "https://x/cb#access_token=S1"}), "application/json", "S1", id="json-hash"
        ),
        pytest.param(
            _json({"redirect_uri": "https%3A%2F%2Fx%2Fcb%23access_token%3DS2"}),
            "application/json",
            "S2",
            id="json-encoded-hash",
        ),
        pytest.param(
            b"redirect_uri=https%3A%2F%2Fx%2Fcb%23access_token%3DS3&a=1",
            "application/x-www-form-urlencoded",
            "S3",
            id="form-nested-hash",
        ),
        pytest.param(
            b"redirect_uri=https%253A%252F%252Fx%252Fcb%2523access_token%253DS4&a=1",
            "application/x-www-form-urlencoded",
            "S4",
            id="form-twice-encoded-hash",
        ),
        pytest.param(
            b"redirect_uri=https%25253A%25252F%25252Fx%25252Fcb%25253Fcode%25253DS5&a=1",
            "application/x-www-form-urlencoded",
            "S5",
            id="form-thrice-encoded",
        ),
        pytest.param(
            b"u=https%2525253A%2525252F%2525252Fx%2525253Fcode%2525253DS6",
            "text/plain",
            "S6",
            id="text-four-times-encoded",
        ),
        pytest.param(
            _json({"inner": json.dumps({"client_secret": "S7"})}), "application/json", "S7", id="json-in-json"
        ),
        pytest.param(
            _json({"a": json.dumps({"b": json.dumps({"password": "S8"})})}),
            "application/json",
            "S8",
            id="json-in-json-in-json",
        ),
        pytest.param(
            _json({"log": 'the skill sent {"access_token": "S9", "x": 1} and then'}),
            "application/json",
            "S9",
            id="json-in-prose",
        ),
        pytest.param(
            _json({"inner": '{"client_secret": "S10'}), "application/json", "S10", id="cut-json-in-json"
        ),
        pytest.param(b"GET https://x/cb#access_token=S11 done", "text/plain", "S11", id="text-hash"),
        pytest.param(
            b"u=https%3A%2F%2Fx%2Fcb%23access_token%3DS12", "text/plain", "S12", id="text-encoded-hash"
        ),
    ],
)
def test_the_secret_is_hidden(body: bytes, content_type: str, secret: str) -> None:
    stored = redact_body(body, content_type) or ""
    assert secret not in stored, stored
    assert "[redacted]" in stored


@pytest.mark.parametrize(
    "text",
    [
        "GET https://x/cb#access_token=S13",
        "Location: https://x/cb%23id_token%3DS13",
        "r=https%25253A%25252F%25252Fx%25252Fcb%25253Fcode%25253DS13",
    ],
)
def test_text_hides_the_secret_too(text: str) -> None:
    assert "S13" not in redact_text(text)


@pytest.mark.parametrize(
    "message",
    [
        "The skill answered status code=500; see the log",
        "The skill answered status code=500 (see https://example.com/help?topic=errors)",
        "Did you mean token=abc? See #5",
    ],
)
def test_prose_in_a_json_string_stays_readable(message: str) -> None:
    stored = json.loads(redact_body(_json({"message": message}), "application/json") or "")
    assert stored == {"message": message}


@pytest.mark.parametrize(
    "value",
    [
        "https://x/cb?state=1&code=S14",
        "https://x/cb?code=S14",
        "code=S14&state=1",
        "https://x/cb#state=1&access_token=S14",
    ],
)
def test_a_url_or_form_in_a_json_string_still_hides_its_secret(value: str) -> None:
    stored = redact_body(_json({"redirect": value}), "application/json") or ""
    assert "S14" not in stored


def test_json_in_a_string_without_secret_is_kept_as_written() -> None:
    inner = '{"a":  1,   "message": "x", "code": "E1"}'
    assert json.loads(redact_body(_json({"inner": inner}), "application/json") or "") == {"inner": inner}


def test_json_in_a_json_string_of_a_body_cut_at_the_cap_is_hidden() -> None:
    body = json.dumps({"a": json.dumps({"b": json.dumps({"password": "S15", "more": "x" * 50})})})
    stored = redact_body(body[:-30].encode(), "application/json", truncated=True) or ""
    assert "S15" not in stored
    assert "[redacted]" in stored
