"""The Host header a request must carry, checked by the request guard (core/request_guard.py):
exactly one in HTTP/1.1, and its value a host[:port] (RFC 9112 §3.2).

- **One.** An HTTP/1.1 request without a `Host` header, or any request with two, is refused with
  400: which one names the region (core/regions.py reads the first; a proxy in front may have read
  the other)?
- **host[:port].** RFC 3986 §3.2.2's host: an IP literal in brackets, or a reg-name of unreserved,
  pct-encoded and sub-delim characters, then an optional port. Anything else (`a:xyz`, `a/b`,
  `u@a`, `a, b`) was served, and a region chosen from it. The refusal quotes the value as sent
  (a `Sent` part, core/message_parts.py `quoted`: its first 100 characters, a cut marked after the
  quote), in every API family. It went through Python's repr until the night of 2026-12-06, so
  LWA's error_description read the backslashes repr adds (`a' §1 "b` as `'aU+005C' U+00A71 'b'`).
"""

from __future__ import annotations

import re

from localexa.server.core.message_parts import Parts, Sent, quoted

#: RFC 9112 §3.2's Host: uri-host [ ":" port ]. The port is `*DIGIT`, leading zeros allowed, as
#: browsers, curl and Python's urllib read one: `localhost:021700` is port 21700 (it was a 400
#: while `localhost:00080` passed, 5 digits being the limit; revA QA).
_HOST_VALUE = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::([0-9]*))?")


def is_host_value(value: bytes) -> bool:
    match = _HOST_VALUE.fullmatch(value)
    if match is None:
        return False
    digits = (match.group(1) or b"").lstrip(b"0")
    return len(digits) <= 5 and int(digits or b"0") <= 65535


def host_message(count: int) -> str:
    return f"The request carries {count} Host headers; HTTP/1.1 requires exactly one (RFC 9112 §3.2)."


def host_value_message(value: bytes) -> Parts:
    return Parts.of("The Host header ", *quoted(Sent.header(value)), " is not a host[:port] (RFC 9112 §3.2).")
