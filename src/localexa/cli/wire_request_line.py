"""What `localexa serve`'s wire guard (cli/wire.py) answers for a request line it will not serve:
a method nobody here knows (501), an HTTP version other than 1.x (505, the HTTP/2 preface among
them), and what is not a request line at all (400, `wire_answers.not_http_message`).

uvicorn answered the first two with the parser's 400 ("Invalid method encountered", "Invalid
HTTP version"), and served `GET / HTTP/2.0` (or `HTTP/0.9`) as HTTP/1.1.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import httptools

from localexa.cli.wire_answers import not_http_message
from localexa.server.core.request_guard import SERVED_METHODS

#: A wire refusal: status, message, whether the request was not HTTP at all (cli/wire.py logs
#: uvicorn's own line for that), and the target of the refused request line when the parser
#: stopped before reading it (None: the guard takes the target the parser read).
Refusal = tuple[int, str, bool, bytes | None]

#: The methods RFC 9110 §9.3 and RFC 5789 define: one of them in another case (`get`) is that
#: method misspelt, as methods are case-sensitive (RFC 9110 §9.1).
_STANDARD_METHODS = frozenset({*SERVED_METHODS, "CONNECT", "OPTIONS", "TRACE", "PATCH"})
#: RFC 9110 §5.6.2's token (a method is one, §9.1).
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
#: A whole request line (RFC 9112 §3): method SP request-target SP HTTP-version.
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([^ \r\n]+) HTTP/[0-9]\.[0-9]\r?")
#: The start of one whose end has not come yet (its target as far as it came).
_REQUEST_LINE_START = re.compile(rb"(" + _TOKEN + rb")(?: ([^ \r\n]*)(?: [^ \r\n]*)?)?")
#: How many places where a request may begin are tried (pipelined requests before the refused one).
_STARTS = 64
#: How much of a method a message quotes.
_QUOTED = 40

HTTP2_MESSAGE = (
    "This port speaks HTTP/1.1 (and 1.0) only: HTTP/2 is not offered, neither over plain TCP (h2c, "
    "RFC 9113 §3.3) nor over TLS. Send the request as HTTP/1.1."
)


def version_refusal(version: str) -> tuple[int, str] | None:
    """The 505 of a request whose HTTP version the parser read, or None for 1.x.

    RFC 9110 §15.6.6: 505 for a major version the server does not support; HTTP/1.x of a minor
    above 1 (`HTTP/1.2`) is served as HTTP/1.1, the highest this server speaks (RFC 9112 §2.3)."""
    major, _, _ = version.partition(".")
    if major == "1":
        return None
    if major == "2":
        return 505, HTTP2_MESSAGE
    return 505, f"This port speaks HTTP/1.1 (and 1.0); the request is HTTP/{version}."


#: llhttp's own words for a request whose last transfer coding is not `chunked` (RFC 9112 §6.3:
#: its body's length cannot be told, so 400 and close).
TRANSFER_ENCODING_MESSAGE = "The request is not valid HTTP/1.1: Request has invalid `Transfer-Encoding`."


def framing_refusal(headers: list[tuple[bytes, bytes]]) -> tuple[int, str] | None:
    """The 400 of a request that has a `Transfer-Encoding` whose last coding is not `chunked`
    (`gzip`; `gzip, chunked` is the request guard's 501), or None.

    llhttp refuses it only once the head is complete, after uvicorn has started the app on it: the
    client got the parser's 400 while the app's 501 (server/core/request_guard.py), never sent,
    was journaled, logged and counted under a request id the client never saw (QA of
    2026-12-06). Refused here, from the head, no app runs for it, as for the other wire refusals."""
    present = False
    codings: list[bytes] = []
    for name, value in headers:
        if name == b"transfer-encoding":
            present = True
            codings.extend(c for c in (part.strip(b" \t").lower() for part in value.split(b",")) if c)
    if present and (not codings or codings[-1] != b"chunked"):
        return 400, TRANSFER_ENCODING_MESSAGE
    return None


def served_version(version: str) -> str:
    """The HTTP version a 1.x request is served as (the ASGI scope's `http_version`)."""
    return version if version in ("1.0", "1.1") else "1.1"


def use_target_host(target: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """An absolute-form target (`GET http://api.eu.amazonalexa.com/… HTTP/1.1`) names the host:
    RFC 9112 §3.2.2 has the server use it, not the Host header (which picks the region,
    core/regions.py); `headers` then carry it as their only Host."""
    if target[:8].lower().startswith((b"http://", b"https://")):
        authority = target.split(b"//", 1)[1].split(b"/", 1)[0].split(b"?", 1)[0]
        headers[:] = [(name, value) for name, value in headers if name != b"host"]
        headers.append((b"host", authority))


def parser_refusal(
    exc: httptools.HttpParserError, data: bytes, method: bytes | None, version: str
) -> Refusal:
    """What to answer a request the parser refused with `exc` while reading `data`; `method` and
    `version` are what the parser read of its request line (`method` None before its target)."""
    if method == b"PRI" and version == "2.0":
        # The HTTP/2 connection preface (RFC 9113 §3.4): llhttp stops at it.
        return 505, HTTP2_MESSAGE, False, None
    if isinstance(exc, httptools.HttpParserInvalidMethodError) and not data.startswith(b"\x16\x03"):
        refused = refused_request_line(data)
        if refused is not None:
            # The parser stops at the method, before the target: its path is read here, so the 501
            # takes the shape of the API it names (it was `/`'s, `{"message"}`, on every API).
            refused_method, target = refused
            return 501, method_message(refused_method), False, target
    return 400, not_http_message(exc, data), True, None


def method_in_progress(parser: httptools.HttpRequestParser, url: bytes) -> bytes | None:
    """The method of the request in progress. It is known once its target began (uvicorn
    empties `url` at each message's begin); before that the parser still holds the previous
    request's (a refusal of a head cut short after a HEAD keeps its body)."""
    if not url:
        return None
    try:
        return bytes(parser.get_method())
    except httptools.HttpParserError:
        return None


def refused_request_line(data: bytes) -> tuple[bytes, bytes] | None:
    """The method and target of the request line in `data` the parser refused, when the rest of
    the line is HTTP (RFC 9110 §9.1: 501 for a method the server does not recognise); None for
    bytes that are not a request line at all (a 400). A target still coming is given as far as it
    came (empty when none has).

    The refused line is the first that begins a message in `data` (its start, or after a head's
    blank line: pipelined requests before it) and whose method the parser refuses. A method split
    across two reads is judged by its second part."""
    for start in _message_starts(data):
        end = data.find(b"\n", start)
        line = data[start:] if end < 0 else data[start:end]
        if not _parser_refuses(line):
            continue
        shape = _REQUEST_LINE_START if end < 0 else _REQUEST_LINE
        match = shape.fullmatch(line)
        return (match.group(1), match.group(2) or b"") if match is not None else None
    return None


def method_message(method: bytes) -> str:
    named = method.decode("ascii")
    # localexa's cut mark after the closing quote, as the server's quoted headers have it: inside,
    # it read as part of the method the client sent (revo QA of 2026-12-06).
    shown = f"'{named}'" if len(named) <= _QUOTED else f"'{named[:_QUOTED]}'…"
    if named.upper() in _STANDARD_METHODS:
        return (
            f"The method {shown} is not implemented: methods are case-sensitive (RFC 9110 §9.1); "
            f"send '{named.upper()}'."
        )
    served = ", ".join(SERVED_METHODS)
    return f"The method {shown} is not implemented here (RFC 9110 §9.1); localexa serves {served}."


def _message_starts(data: bytes) -> Iterator[int]:
    """Where a request may begin in `data` (the first _STARTS): its start and after each blank
    line, line ends skipped (the parser skips them between messages)."""
    yield _past_line_ends(data, 0)
    for blank in itertools.islice(re.finditer(rb"\r\n\r\n", data), _STARTS - 1):
        yield _past_line_ends(data, blank.end())


def _past_line_ends(data: bytes, at: int) -> int:
    while at < len(data) and data[at] in b"\r\n":
        at += 1
    return at


def _parser_refuses(line: bytes) -> bool:
    """Whether the parser refuses the method `line` begins with (llhttp knows a fixed set)."""
    parser = httptools.HttpRequestParser(_Unheard())
    try:
        parser.feed_data(line.split(b" ", 1)[0] + b" ")
    except httptools.HttpParserInvalidMethodError:
        return True
    except httptools.HttpParserError:
        return False
    return False


class _Unheard:
    """A parser's protocol with no callbacks."""
