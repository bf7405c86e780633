"""Refused bodies keep their secrets out of the journal whatever the key's spelling or the text's
encoding: `network_key` and `network-key` as well as `networkKey`, a key written with JSON escapes
(`"network\\u004bey"`), and a body sent as UTF-16 or UTF-32 (a valid JSON text to `json.loads`,
but NULs between the letters to a pattern reading it as UTF-8)."""

from __future__ import annotations

import codecs
import json

import httpx
import pytest

from localexa.server.observe import redaction as r
from localexa.server.observe.redaction import REDACTED, redact_body, redact_text
from tests.credential_locker.conftest import PATH, Locker, make_locker
from tests.factories import Admin
from tests.observe.helpers import journal

KEY = "6b" * 16
PSKC = "7a" * 16

# Each spelling of each secret field the redaction knows as words: snake_case, kebab-case, camelCase.
SPELLINGS = [
    "network_key",
    "network-key",
    "Network-Key",
    "NETWORK_KEY",
    "client-secret",
    "client_secret",
    "access-token",
    "refresh-token",
    "code-verifier",
    "auth_code",
    "auth-code",
    "id-token",
    "idToken",
    "admin-key",
    "adminKey",
    "csrf-token",
    "csrfToken",
    "client_confirmation",
    "client-confirmation",
    "clientConfirmation",
]


@pytest.mark.parametrize("key", SPELLINGS)
def test_malformed_json_with_a_snake_or_kebab_key_is_scrubbed(key: str) -> None:
    body = f'{{"threadNetwork":{{"{key}":"{KEY}",}}}}'.encode()  # trailing comma: not JSON
    text = redact_body(body, "application/json") or ""
    assert KEY not in text
    assert REDACTED in text


@pytest.mark.parametrize("key", SPELLINGS)
def test_bare_and_form_spellings_are_scrubbed(key: str) -> None:
    assert KEY not in (redact_body(f"{{{key}: {KEY}}}".encode(), "application/json") or "")
    assert KEY not in (redact_body(f"x=1&{key}={KEY}".encode(), "text/plain", truncated=True) or "")


@pytest.mark.parametrize(
    "key",
    [
        "network\\u004bey",  # K
        "network\\u004Bey",
        "\\u006eetworkKey",  # n
        "\\u0070\\u0073\\u006b\\u0063",  # pskc, every letter escaped
        "network\\u005fkey",  # network_key, the underscore escaped
        "client\\u002dsecret",  # client-secret, the hyphen escaped
    ],
)
def test_a_key_written_with_json_escapes_is_scrubbed(key: str) -> None:
    body = f'{{"threadNetwork":{{"{key}":"{KEY}",}}}}'.encode()
    text = redact_body(body, "application/json") or ""
    assert KEY not in text
    assert REDACTED in text


def test_an_escaped_backslash_is_not_an_escape() -> None:
    """`\\\\u0041` is a backslash then the text "u0041": it stays as sent."""
    body = b'{"note":"a\\\\u0041b",}'
    assert redact_body(body, "application/json") == body.decode()


def test_other_escapes_stay_as_they_were_sent() -> None:
    """Only letters, digits, `_` and `-` are decoded: a quote or a backslash never is (the text's
    structure stays), nor anything past ASCII."""
    body = b'{"note":"\\u0022q\\u005c\\u00e9",}'
    assert redact_body(body, "application/json") == body.decode()


BODY = {"threadNetwork": {"extendedPanId": "1111111122222222", "networkKey": KEY, "pskc": PSKC}}


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32-be", "utf-32"])
def test_a_json_body_in_utf16_or_utf32_is_parsed_and_redacted(encoding: str) -> None:
    body = json.dumps(BODY).encode(encoding)
    text = redact_body(body, "application/json") or ""
    assert KEY not in text
    assert PSKC not in text
    assert json.loads(text) == {
        "threadNetwork": {"extendedPanId": "1111111122222222", "networkKey": REDACTED, "pskc": REDACTED}
    }


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
def test_a_broken_or_cut_utf16_body_is_scrubbed_by_pattern(encoding: str, bom: bytes) -> None:
    broken = bom + f'{{"threadNetwork":{{"network_key":"{KEY}",}}}}'.encode(encoding)
    text = redact_body(broken, "application/json") or ""
    assert KEY not in text
    assert "\x00" not in text
    assert REDACTED in text
    whole = bom + json.dumps(BODY).encode(encoding)
    cut = whole[: whole.index(KEY[:4].encode(encoding)) + 21]  # an odd cut, inside the key
    text = redact_body(cut, "application/json", truncated=True) or ""
    assert KEY[:8] not in text
    assert "\x00" not in text
    assert REDACTED in text


def test_a_utf8_body_is_read_as_before() -> None:
    body = json.dumps({"name": "Küche", "networkKey": KEY}, ensure_ascii=False).encode()
    assert json.loads(redact_body(body, "application/json") or "") == {
        "name": "Küche",
        "networkKey": REDACTED,
    }
    # A UTF-8 BOM (some Windows tools write one) is no reason to fall back to patterns.
    with_bom = codecs.BOM_UTF8 + body
    assert json.loads(redact_body(with_bom, "application/json") or "") == {
        "name": "Küche",
        "networkKey": REDACTED,
    }


@pytest.mark.parametrize(
    "text",
    [
        '{"network_key": "hunter2"}',
        '"client-secret":"hunter2"',
        "a=1&access-token=hunter2",
        "x csrf_token=hunter2",
    ],
)
def test_header_and_log_text_knows_the_spellings_too(text: str) -> None:
    assert "hunter2" not in redact_text(text)


def test_the_patterns_mirror_the_secret_fields() -> None:
    """Every secret field name is in the pattern alternatives, with `_` or `-` between its words."""
    for name in r._SECRET_FIELDS:
        assert r._JSON_FIELD.fullmatch(f'"{name}": "x"'), name
    for spelled in SPELLINGS:
        assert r.is_secret_field(spelled), spelled


# -- the journal, end to end ------------------------------------------------------------------


@pytest.fixture
async def locker(client: httpx.AsyncClient, admin: Admin) -> Locker:
    return await make_locker(client, admin)


async def _put(locker: Locker, content: bytes) -> httpx.Response:
    headers = {**locker.headers, "Content-Type": "application/json"}
    return await locker.client.put(PATH, content=content, headers=headers)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(f'{{"threadNetwork":{{"network_key":"{KEY}",}}}}'.encode(), id="snake-case"),
        pytest.param(f'{{"threadNetwork":{{"network-key":"{KEY}",}}}}'.encode(), id="kebab-case"),
        pytest.param(f'{{"threadNetwork":{{"network\\u004bey":"{KEY}",}}}}'.encode(), id="escaped-key"),
        pytest.param(json.dumps(BODY).encode("utf-16-le"), id="utf-16-le"),
        pytest.param(json.dumps(BODY).encode("utf-16"), id="utf-16-bom"),
        pytest.param(json.dumps(BODY).encode("utf-32"), id="utf-32-bom"),
    ],
)
async def test_refused_puts_leave_no_secret_in_the_journal(locker: Locker, content: bytes) -> None:
    response = await _put(locker, content)
    assert response.status_code == 400, response.text
    [entry] = await journal(locker.client, path=PATH)
    assert KEY not in entry["requestBody"]
    assert PSKC not in entry["requestBody"]
    assert "\u2400" not in entry["requestBody"]  # read as text, not as UTF-8 with NULs between
    assert REDACTED in entry["requestBody"]
