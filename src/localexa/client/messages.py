"""The words of the client's messages, for code built on the client that shows or rewords them.

The CLI (localexa/cli) imports these; it imports nothing else of the client but its public
package (`localexa.client`, `localexa.client.types`): a test parses the CLI's modules to keep it
so. Until 2026-12-06 (night) it reached into `_core.py` and `_endpoints.py` for them.

- `redact(url)`: `url` with the password of its user info as `***`, for reprs and messages, by
  its text (localexa/url_passwords.py), however the URL splits.
- `shown_url(url)`: `url` as a message quotes it: `redact`ed, in quotes, without its query and
  fragment (which may hold a token), saying so when it had them.
- `UNTRUSTED_CA_FIX`: the clause of an `APIConnectionError` for a server whose CA the client does
  not trust that says how to trust it, in the client's arguments (`ca_file=`); the CLI replaces
  it with its own options' words.
"""

from __future__ import annotations

import re

from localexa.url_passwords import without_password

__all__ = ["UNTRUSTED_CA_FIX", "redact", "shown_url"]

#: How a caller trusts a CA the server's certificate chains to (the CLI words it as its options).
UNTRUSTED_CA_FIX = "pass ca_file=<its ca.pem> (a localexa started with --tls: <data dir>/tls/ca.pem)"


def redact(url: str | None) -> str | None:
    """`url` with the password of its user info (`http://user:pw@host`, a proxy's basic auth)
    replaced by `***`, for reprs and messages, whatever the password holds and however
    malformed the URL is (localexa/url_passwords.py): from the first `:` after the scheme to the
    URL's last `@`. Until the night of 2026-12-06 the user info was looked for in the authority
    as httpx parses it, which a password holding an unescaped `#`, `?` or `/` ends early, so
    `http://me:pa#ss@host` was shown whole (re-verification E1)."""
    return None if url is None else without_password(url)


def shown_url(url: str) -> str:
    """`url` for a message: its password as *** (`redact`), its query and fragment left out (a
    `?access_token=` was echoed until 2026-12-06; connection errors already left them out).
    The password goes first: cut at its first `?` or `#` first, `http://me:pa?ss@host` was
    shown as `'http://me:pa'`, the password's start (re-verification E1)."""
    hidden = without_password(url)
    head = re.split(r"[?#]", hidden, maxsplit=1)[0]
    return repr(head) if head == hidden else f"{head!r} (its query and fragment not shown)"
