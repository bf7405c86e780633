"""A JSON body sent as UTF-16 or UTF-32 (PowerShell's `Out-File`, .NET's `Encoding.Unicode`) is
refused as not UTF-8 (RFC 8259 §8.1), by the request guard and by `json_object` alike: it used to
be said to hold U+0000, a character the client never sent (its NULs are the high bytes of ASCII
characters)."""

from __future__ import annotations

import codecs
import json

import pytest

from localexa.server.core.errors import BadRequest
from localexa.server.core.json_body import json_object
from localexa.server.core.request_guard import NOT_UTF8_MESSAGE, body_nul_message, nul_message

BODY = json.dumps({"threadNetwork": {"networkName": "Home"}})
WIDE = ["utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32-be", "utf-32"]


@pytest.mark.parametrize("encoding", WIDE)
def test_a_utf16_or_utf32_body_is_said_not_to_be_utf8(encoding: str) -> None:
    with pytest.raises(BadRequest) as caught:
        json_object(BODY.encode(encoding), shape="{}")
    assert caught.value.message == NOT_UTF8_MESSAGE
    assert "U+0000" not in caught.value.message
    assert "not UTF-8" in caught.value.message
    assert "UTF-16" in caught.value.message


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"name": "A\\u0000b"}', id="json-escape"),
        pytest.param(b'{"name": "A\x00b"}', id="raw-nul"),
        pytest.param(codecs.BOM_UTF8 + b'{"name": "A\\u0000b"}', id="utf8-bom"),
    ],
)
def test_a_real_nul_in_utf8_is_still_named(body: bytes) -> None:
    with pytest.raises(BadRequest) as caught:
        json_object(body, shape="{}")
    assert caught.value.message == nul_message("body")


def test_the_message_goes_by_the_first_bytes() -> None:
    assert body_nul_message(b'{\x00"\x00') == NOT_UTF8_MESSAGE
    assert body_nul_message(b"\xff\xfe{\x00") == NOT_UTF8_MESSAGE
    assert body_nul_message(b"\x00\x00\x00{") == NOT_UTF8_MESSAGE
    assert body_nul_message(b'{"a"') == nul_message("body")
