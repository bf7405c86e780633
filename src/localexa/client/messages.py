"""The words of the client's messages, for code built on the client that shows or rewords them.

The CLI (localexa/cli) imports these; it imports nothing else of the client but its public
package (`localexa.client`, `localexa.client.types`): a test parses the CLI's modules to keep it
so. Until 2026-12-06 (night) it reached into `_core.py` and `_endpoints.py` for them.

- `redact(url)`: `url` with the password of its user info as `***`, for reprs and messages (also
  where httpx cannot parse the URL's host: cut by its text).
- `shown_url(url)`: `url` as a message quotes it: `redact`ed, in quotes, without its query and
  fragment (which may hold a token), saying so when it had them.
- `UNTRUSTED_CA_FIX`: the clause of an `APIConnectionError` for a server whose CA the client does
  not trust that says how to trust it, in the client's arguments (`ca_file=`); the CLI replaces
  it with its own options' words.
"""

from __future__ import annotations

import re

import httpx

__all__ = ["UNTRUSTED_CA_FIX", "redact", "shown_url"]

#: How a caller trusts a CA the server's certificate chains to (the CLI words it as its options).
UNTRUSTED_CA_FIX = "pass ca_file=<its ca.pem> (a localexa started with --tls: <data dir>/tls/ca.pem)"


def redact(url: str | None) -> str | None:
    """`url` with the password of its user info (`http://user:pw@host`, a proxy's basic auth)
    replaced by `***`, for reprs and messages."""
    if url is None or "@" not in url:
        return url
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        # A host httpx refuses (`☃.com`, `a..b`) is just what a message about it must show.
        return _password_cut(url)
    if not parsed.password:
        return url
    return str(parsed.copy_with(username=parsed.username, password="***"))


def _password_cut(url: str) -> str:
    """`url` (which holds an `@`) with the password of its authority's user info as `***`, by its
    text alone; with no `scheme://`, where a password would be is unclear: nothing of it shown."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "<a URL that is not valid>"
    authority, tail = re.match(r"([^/?#]*)(.*)", rest, re.S).groups()  # type: ignore[union-attr]
    user_info, at, host = authority.rpartition("@")
    user, colon, _ = user_info.partition(":")
    return f"{scheme}://{user}:***@{host}{tail}" if at and colon else url


def shown_url(url: str) -> str:
    """`url` for a message: its password as *** (`redact`), its query and fragment left out (a
    `?access_token=` was echoed until 2026-12-06; connection errors already left them out)."""
    head = re.split(r"[?#]", url, maxsplit=1)[0]
    shown = repr(redact(head))
    return shown if head == url else f"{shown} (its query and fragment not shown)"
