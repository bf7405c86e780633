"""A URL as localexa shows it in its errors, logs and reprs: without the password of its user info,
whatever characters that password holds and however malformed the URL is. Shared by the skill kit
(localexa/skill/http.py) and the Python client and CLI (localexa/client/messages.py).

The user info is not found by parsing the URL: a password holding an unescaped `?`, `#` or `/`
ends the authority early for every URL parser (`http://me:pa#ss@host` is the host `me`, port
`pa`, fragment `ss@host`), so the parsed authority has no `@` and the password stood in clear,
in the very errors saying the URL is not valid (re-verification of the night of 2026-12-06).
It is found by text, conservatively: after the scheme (`http://`, `http:/`, `http:`, `//`), the
password runs from the first `:` to the URL's LAST `@`, and all of that is shown as `***`.

So more than a password is hidden when a URL with a `:` after its scheme also has an `@` later
on: `http://host:8080/a@b` shows as `http://host:***@b`. That is wanted: the same text is the
user `host` with the password `8080/a` to a reader who put a `/` in a password, and no reading of
the text can tell them apart. A URL with no `:` before its last `@` has no password to hide
(`http://user@host/`, `http://host/?x=a@b`), and one with an empty password (`http://user:@host`)
neither: both are shown as given.
"""

from __future__ import annotations

import re

__all__ = ["HIDDEN", "without_password"]

HIDDEN = "***"

#: What may stand before the user info: leading spaces and control characters (which browsers
#: drop), then a special scheme with any slashes or backslashes, as browsers read `http:/u:pw@h`
#: and `http:\\u:pw@h` as `http://u:pw@h`; or any other scheme with `://`; or slashes alone
#: (`//u:pw@h`, scheme-relative). Any other `name:` (`user:pw@host`) is taken as a user, not a
#: scheme: its text after the `:` is hidden.
_BEFORE_USER = re.compile(
    r"[\x00-\x20]*(?:(?:https?|wss?|ftp|file):[/\\]*|[A-Za-z][A-Za-z0-9+.\-]*://|[/\\]*)",
    re.IGNORECASE,
)

#: The `@` and the look-alikes a name mapping (IDNA, NFKC) turns into one: `http://u:pw＠host`
#: is no user info to a parser, but its author meant `pw` as a password.
_ATS = ("@", "\uff20", "\ufe6b")


def without_password(url: str) -> str:
    """`url` with every character that could be its user info's password as `***`."""
    at = max(url.rfind(sign) for sign in _ATS)
    if at < 0:  # no `@`: no user info
        return url
    start = _BEFORE_USER.match(url)
    colon = url.find(":", start.end() if start else 0, at)
    if colon < 0 or colon + 1 == at:  # a user without a password, or with an empty one
        return url
    return f"{url[: colon + 1]}{HIDDEN}{url[at:]}"
