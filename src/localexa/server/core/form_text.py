"""Whether a parsed HTML form holds a value that is not text, which Starlette's form parser turns
into other text instead of refusing.

Starlette decodes a urlencoded escape of a byte that is not UTF-8 (`%FF`) into U+FFFD, and a
multipart part that is not in its charset (UTF-8 unless the Content-Type names another) as
latin-1: the bytes `caf\\xe9` arrive as `café`. A page storing or acting on such a value would
store something the browser never sent, so the console's forms and the /ap/oa sign-in and consent
forms refuse it with their own 400 page. The body is read again here, strictly; a U+FFFD that was
typed (`%EF%BF%BD`) stays allowed.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_SURROGATE = re.compile("[\ud800-\udfff]")


def holds_non_text(body: bytes, content_type: str | None, values: Iterable[object]) -> bool:
    """Whether the form read from `body` (its parsed `values`) holds a value that is not text:
    bytes that are not in the form's charset, or an unpaired UTF-16 surrogate."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == _FORM:
        try:
            parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            return True
    elif kind == _MULTIPART and _multipart_holds_non_text(body, content_type or ""):
        return True
    return any(isinstance(value, str) and _SURROGATE.search(value) for value in values)


def _multipart_holds_non_text(body: bytes, content_type: str) -> bool:
    """Whether a text part of this (already parsed) multipart body is not in its charset: the
    parts are read again, raw, and each one that is not a file is decoded strictly."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        return False  # not parsed as multipart at all: nothing was decoded
    try:
        charset = codecs.lookup(params.get(b"charset", b"utf-8").decode("latin-1")).name
    except LookupError:
        return False  # Starlette reads an unknown charset as latin-1, which decodes anything
    parts: list[tuple[bytearray, bytearray]] = []  # (headers, data) of each part

    def begin() -> None:
        parts.append((bytearray(), bytearray()))

    def header(data: bytes, start: int, end: int) -> None:
        parts[-1][0].extend(data[start:end].lower())

    def part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][1].extend(data[start:end])

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": begin,
            "on_header_field": header,
            "on_header_value": header,
            "on_part_data": part_data,
        },
    )
    parser.write(body)
    parser.finalize()
    for headers, data in parts:
        if b"filename" in headers:
            continue  # a file: bytes, not text (no page form has one)
        try:
            data.decode(charset)
        except UnicodeDecodeError:
            return True
    return False
