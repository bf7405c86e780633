"""Secrets the journal's scrubbing let through until 2026-12-06: an HTML field whose value comes
before its name, a secret field of a URL carried percent-encoded in another URL, and a multipart
part with more than 10 header lines."""

from __future__ import annotations

import pytest

from localexa.server.observe.redaction import REDACTED, redact_body, redact_query, redact_text, redact_url

NESTED = "redirect_uri=https%3A%2F%2Fx%2Fcb%3Fcode%3DSECRET1%26state%3Dvisible&client_id=c"


@pytest.mark.parametrize(
    "page",
    [
        '<input value="SECRET1" name="password">',
        "<input type='hidden' value='SECRET1' class=\"a b\" NAME='client_secret'>",
        '<input value="ok" name="user"><input value="SECRET1" name="code">',
    ],
)
def test_an_html_value_before_its_name_is_hidden(page: str) -> None:
    redacted = redact_text(page)
    assert "SECRET1" not in redacted
    assert REDACTED in redacted
    assert redact_body(page.encode(), "text/html") is not None
    assert "SECRET1" not in (redact_body(page.encode(), "text/html") or "")


def test_an_html_value_of_another_field_stays() -> None:
    page = '<input value="visible" name="user"><input name="code" value="SECRET1">'
    redacted = redact_text(page)
    assert "visible" in redacted
    assert "SECRET1" not in redacted


def test_a_value_is_not_tied_to_a_name_past_its_tag_or_another_value() -> None:
    assert redact_text('<input value="visible"><input name="code">') == (
        '<input value="visible"><input name="code">'
    )
    assert "visible" in redact_text('<x value="visible" value="x" name="code">')


@pytest.mark.parametrize(
    "scrub",
    [redact_text, redact_query, lambda q: redact_url(f"https://h/ap/oa?{q}")],
    ids=["text", "query", "url"],
)
def test_a_secret_of_a_percent_encoded_nested_url_is_hidden(scrub: object) -> None:
    assert callable(scrub)
    redacted = scrub(NESTED)
    assert "SECRET1" not in redacted
    assert "visible" in redacted
    assert "client_id=c" in redacted


def test_a_secret_of_a_nested_url_in_a_form_or_json_body_is_hidden() -> None:
    form = redact_body(NESTED.encode(), "application/x-www-form-urlencoded") or ""
    body = b'{"redirectUri": "https://x/cb?code=SECRET1&state=visible"}'
    json_body = redact_body(body, "application/json") or ""
    for redacted in (form, json_body):
        assert "SECRET1" not in redacted
        assert "visible" in redacted


@pytest.mark.parametrize("lines", [11, 40])
def test_a_multipart_part_with_many_header_lines_is_hidden(lines: int) -> None:
    headers = b"".join(b"X-Header-%d: y\r\n" % i for i in range(lines))
    body = (
        b'--b\r\nContent-Disposition: form-data; name="password"\r\n' + headers + b"\r\nSECRET1\r\n"
        b'--b\r\nContent-Disposition: form-data; name="user"\r\n\r\nvisible\r\n--b--\r\n'
    )
    redacted = redact_body(body, "multipart/form-data; boundary=b") or ""
    assert "SECRET1" not in redacted
    assert "visible" in redacted
    assert "X-Header-10: y" in redacted


@pytest.mark.parametrize(
    "disposition",
    [
        b"form-data; name=admin_key",  # unquoted, as Starlette reads it: the console's key leaked
        b"form-data; name='password'",
        b"form-data; name*=utf-8''password",
        b"form-data; name*=UTF-8'en'client%5Fsecret",
        b'form-data; filename="a.txt"; name="code"',
    ],
)
def test_a_secret_part_is_hidden_however_its_name_is_written(disposition: bytes) -> None:
    body = (
        b"--b\r\nContent-Disposition: " + disposition + b"\r\n\r\nSECRET1\r\n"
        b'--b\r\nContent-Disposition: form-data; name="user"\r\n\r\nvisible\r\n--b--\r\n'
    )
    redacted = redact_body(body, "multipart/form-data; boundary=b") or ""
    assert "SECRET1" not in redacted
    assert "visible" in redacted


def test_a_secret_value_runs_to_the_bodys_own_boundary() -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="password"\r\n\r\nline\r\n--not-the-boundary\r\n'
        b'SECRET1\r\n--b\r\nContent-Disposition: form-data; name="user"\r\n\r\nvisible\r\n--b--\r\n'
    )
    redacted = redact_body(body, "multipart/form-data; boundary=b") or ""
    assert "SECRET1" not in redacted
    assert redacted.endswith('name="user"\r\n\r\nvisible\r\n--b--\r\n')


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("http://127.0.0.1:21001/token?key=APIKEYzz", "APIKEYzz"),
        ("https://h.example/token?api_key=AK1&x=1", "AK1"),
        ("https://h.example/token?apiKey=AK2", "AK2"),
        ("https://acct.blob.core.windows.net/t?sv=2022&sig=SASsig%3D&se=2030", "SASsig"),
        ("https://b.s3.amazonaws.com/o?X-Amz-Signature=abc123&X-Amz-Date=20261206", "abc123"),
        ("https://b.s3.amazonaws.com/o?X-Amz-Credential=AKIAX%2F2026&X-Amz-Security-Token=FQo", "AKIAX"),
    ],
)
def test_credentials_in_a_token_urls_query_are_redacted_in_log_lines(url: str, secret: str) -> None:
    """A skill's accessTokenUrl with an API key in its query was logged in clear when it could not
    be reached (`account link refused …: <url> could not be reached`; QA of 2026-12-06)."""
    line = redact_text(
        f"account link refused for amzn1.ask.skill.x: {url} could not be reached (ConnectError)"
    )
    assert secret not in line
    assert "[redacted]" in line
    assert "X-Amz-Date=20261206" in redact_url(
        "https://b.s3.amazonaws.com/o?X-Amz-Signature=a&X-Amz-Date=20261206"
    )
