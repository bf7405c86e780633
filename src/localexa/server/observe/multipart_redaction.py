"""The value of a multipart/form-data part named like a secret, hidden in a body that did not
parse (the journal keeps bodies that are neither JSON nor a form as text, scrubbed).

A scan of the body's lines, not one regular expression: a pattern for "a header line naming a
secret part, then header lines, a blank line and the value up to the next boundary" backtracked
over every `form-data;` and `name="code"` of a line with no newline (one 16 KB request froze the
event loop for 14 s; re-verification of 2026-12-06). Each line here is looked at once and each
name is read by a pattern that stops at the next `=`, so the work grows with the body's length.

A part's name may be written as Starlette and python-multipart read it: `name="code"`,
`name='code'`, `name=code`, or RFC 5987's `name*=utf-8''code` (the three last spellings leaked,
the console's `admin_key` among them, until 2026-12-06). The value runs to the body's own
boundary when the body starts with one (`--xyz`), else to the next line starting with `--`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

# `name` / `name*` and its value: quoted either way, or bare up to a space, `;` or `=` (a bare
# value may hold `'`, as RFC 5987's `utf-8''code` does). Every run stops at the next `=` or
# closing quote, so each `name=` of a line full of them is read only to the next.
_PART_NAME = re.compile(
    r"""(?<![\w-])name(\*?)\s*+=\s*+(?:"([^"\r\n]*+)"|'([^'\r\n]*+)'|([^\s;="']++(?:'[^\s;="']*+)*+))""",
    re.IGNORECASE,
)


def _names(line: str) -> list[str]:
    names = []
    for match in _PART_NAME.finditer(line):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if value is None:
            value = match.group(4)
        if match.group(1):  # RFC 5987: charset'language'percent-encoded
            value = unquote(value.rsplit("'", 1)[-1])
        names.append(value)
    return names


def redact_multipart(text: str, is_secret: Callable[[str], bool], redacted: str) -> str:
    """`text` with the value of each part whose name `is_secret` replaced by `redacted`."""
    lines = text.split("\n")
    first = lines[0].rstrip("\r")
    delimiter = first if first.startswith("--") and len(first) > 2 else "--"
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        if "form-data" not in line.lower() or not any(is_secret(name) for name in _names(line)):
            continue
        # The part's other header lines, up to the blank line; a line naming another part first
        # means this one had no value (a body cut short, or not multipart at all).
        while index < len(lines) and lines[index].rstrip("\r") and "form-data" not in lines[index].lower():
            out.append(lines[index])
            index += 1
        if index >= len(lines) or lines[index].rstrip("\r"):
            continue
        out.append(lines[index])  # the blank line
        index += 1
        start = index
        while index < len(lines) and not lines[index].startswith(delimiter):
            index += 1
        if index == start:
            continue
        # The line break before the boundary belongs to the boundary (RFC 2046 §5.1.1).
        ending = "\r" if lines[index - 1].endswith("\r") and index < len(lines) else ""
        out.append(redacted + ending)
    return "\n".join(out)
