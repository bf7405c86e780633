"""The journal's scrubbing patterns take time in proportion to the text: several backtracked
quadratically, and one ~60 KB header (under the 64 KiB head limit) stopped the event loop for
27 s after its 404 was sent, for every client of every listener (security QA of 2026-12-06).

Each input below took 2–27 s before (measured in the QA); linear patterns take milliseconds, so
the bound is a verdict on the pattern's shape, not a speed measurement."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from localexa.server.observe.redaction import redact_body, redact_text

#: Far above what linear patterns need on a loaded machine, far below the quadratic times.
BOUND_SECONDS = 1.5
HEADER = 60_000
BODY = 16_384  # the journal's body cap


def _repeat(unit: str, size: int, prefix: str = "") -> str:
    return prefix + unit * ((size - len(prefix)) // len(unit))


def _json_string(text: str) -> str:
    """A JSON body whose one string holds `text`."""
    return json.dumps({"value": text})


def _json_body(text: str) -> object:
    return redact_body(text.encode(), "application/json")


def _cut_body(text: str) -> object:
    """A body cut at the journal's cap: scrubbed by pattern."""
    return redact_body(text.encode(), "application/json", truncated=True)


def _nested_json(size: int) -> str:
    """JSON in a JSON string in a JSON string …, as deep as `size` characters allow."""
    body = json.dumps({"password": "x", "list": list(range(50))})
    while len(body) < size:
        body = json.dumps({"inner": body, "pad": "y" * 10})
    return body


CASES: dict[str, tuple[Callable[[str], object], str]] = {
    "percent-escaped-form-name": (redact_text, _repeat("%41", HEADER, "=&")),
    "url-userinfo-without-scheme": (redact_text, "a" * HEADER + "@://"),
    "html-field-without-value": (redact_text, _repeat('name="code" ', HEADER, "=")),
    "html-element-without-id": (lambda t: redact_body(t.encode(), "text/plain"), _repeat("<a ", BODY, "id=")),
    "multipart-without-blank-line": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat('form-data; name="code"\r\n', BODY),
    ),
    "multipart-semicolons": (lambda t: redact_body(t.encode(), "text/plain"), _repeat("form-data;", BODY)),
    "percent-escaped-body": (lambda t: redact_body(t.encode(), "text/plain"), _repeat("%41", BODY, "=&")),
    "html-ids-in-one-unclosed-tag": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat('id="code"', BODY, "<a "),
    ),
    "multipart-names-in-one-line": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat(' name="code"', BODY, "form-data;"),
    ),
    # The patterns of 2026-12-06 (value before name, nested encoded URLs, any number of multipart
    # header lines), each at 60 KB.
    "html-values-without-name": (redact_text, _repeat('value="x" ', HEADER, "=")),
    "html-value-then-names-of-nothing": (redact_text, _repeat('value="x" name=', HEADER, "=")),
    "html-value-then-a-long-gap": (redact_text, _repeat("a ", HEADER, 'value="x" ')),
    "html-value-unclosed": (redact_text, _repeat("value='", HEADER, "=")),
    "nested-encoded-fields": (redact_text, _repeat("%3Fcode%3D", HEADER)),
    "nested-encoded-value": (redact_text, _repeat("%41", HEADER, "%3Fcode%3D")),
    "nested-encoded-names-without-equals": (redact_text, _repeat("%26code%3", HEADER)),
    "multipart-many-header-lines-without-blank-line": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat("X: y\r\n", HEADER, 'form-data; name="code"\r\n'),
    ),
    "multipart-names-and-header-lines": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat('form-data; name="code"\r\nX: y\r\nX: y\r\n', HEADER),
    ),
    "multipart-names-in-one-line-then-a-long-line": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat('form-data; name="code"', HEADER // 2) + "\r\n" + "a" * (HEADER // 2),
    ),
    "multipart-names-in-one-line-then-many-lines": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat('form-data; name="code"', HEADER // 2) + "\r\n" + "a\r\n" * (HEADER // 6),
    ),
    "multipart-header-lines-of-semicolons": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat("form-data\r\n", HEADER, 'form-data; name="code"\r\n'),
    ),
    # A part's line repeated with no newline: the pattern of the morning of 2026-12-06 backtracked
    # over every `form-data;` and name of the line (16 KB took 10.7–14.9 s, re-verification).
    "multipart-parts-in-one-line": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat('form-data; name="code"', BODY),
    ),
    "multipart-parts-in-one-line-without-spaces": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat('form-data;name="code"', BODY),
    ),
    "multipart-bare-names": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat("form-data; name=name=", BODY),
    ),
    "multipart-extended-names": (
        lambda t: redact_body(t.encode(), "text/plain"),
        _repeat("form-data; name*=utf-8''", BODY),
    ),
    # The patterns changed in the evening of 2026-12-06 (a field after `#` or `%23`, encoded any
    # number of times, JSON in JSON strings, form fields in JSON strings), each at 60 KB.
    "form-fields-after-hashes": (redact_text, _repeat("#code=", HEADER)),
    "form-names-after-hashes-without-equals": (redact_text, _repeat("#code", HEADER, "=")),
    "encoded-form-names-after-hashes": (redact_text, _repeat("#%41", HEADER, "=&")),
    "nested-one-long-run-of-25": (redact_text, "%" + "25" * (HEADER // 2)),
    "nested-runs-of-25-without-3d": (redact_text, _repeat("%252525", HEADER, "%3F")),
    "nested-encoded-hash-names-without-equals": (redact_text, _repeat("%2523code%25253", HEADER)),
    "nested-value-of-25-runs": (redact_text, _repeat("%252525x", HEADER, "%23code%3D")),
    "nested-value-one-long-run": (redact_text, "%23code%3D%" + "25" * (HEADER // 2)),
    "json-string-of-form-fields": (_json_body, _json_string(_repeat("#code=", HEADER, "https://x?"))),
    "json-string-of-form-names": (_json_body, _json_string(_repeat("&code", HEADER, "code="))),
    "json-string-long-form-name": (_json_body, _json_string("a" * HEADER + "=")),
    "json-string-of-json-openings": (_json_body, _json_string(_repeat('{"code":', HEADER))),
    "json-string-of-json-names": (_json_body, _json_string(_repeat('{"', HEADER))),
    "json-in-json-strings": (_json_body, _nested_json(HEADER)),
    "escaped-json-one-run-of-backslashes": (_cut_body, ":" + "\\" * BODY),
    "escaped-json-names-without-colon": (_cut_body, _repeat('\\"code\\"', BODY, ":")),
    "escaped-json-fields": (_cut_body, _repeat('\\"code\\":\\"', BODY)),
    "escaped-json-value-of-escapes": (_cut_body, _repeat("\\n", BODY, '\\"code\\":\\"')),
}


@pytest.mark.parametrize("case", CASES)
def test_hostile_text_is_scrubbed_in_linear_time(case: str) -> None:
    scrub, text = CASES[case]
    started = time.perf_counter()
    scrub(text)
    assert time.perf_counter() - started < BOUND_SECONDS


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("a=1&access%5Ftoken=SECRET1&b=2", "SECRET1"),
        ("see https://user:SECRET2@example.com/x", "SECRET2"),
        ('<input type="hidden" name="code" value="SECRET3">', "SECRET3"),
        # A long class list between name and value (a gap bounded at 200 characters let it leak).
        ('<input type="hidden" name="code" class="' + "a " * 1000 + '" value="SECRET6">', "SECRET6"),
        ('<input name="code" data-name="y" value="SECRET7">', "SECRET7"),
        ('<input value="SECRET8" name="password">', "SECRET8"),
        ("redirect_uri=https%3A%2F%2Fx%2Fcb%3Fcode%3DSECRET9", "SECRET9"),
    ],
)
def test_the_patterns_still_hide_what_they_hid(text: str, hidden: str) -> None:
    assert hidden not in redact_text(text)


def test_the_body_patterns_still_hide_what_they_hid() -> None:
    # Attributes past 1,000 characters before the id (a gap bounded by length let it leak).
    page = b"<p>Yours</p><code " + b'data-x="1" ' * 200 + b'id="code" class="x">SECRET4</code>'
    multipart = b'--b\r\nContent-Disposition: form-data; name="password"\r\n\r\nSECRET5\r\n--b--'
    assert "SECRET4" not in (redact_body(page, "text/html") or "")
    assert "SECRET5" not in (redact_body(multipart, "multipart/form-data; boundary=b") or "")
