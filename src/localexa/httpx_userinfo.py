"""A URL's user info sent as basic auth rather than in the URL, for the Python client and the
skill kit.

httpx logs each request's URL at INFO (`HTTP Request: POST http://me:pw@…`, logger `httpx`): a
password in a client's `base_url` or the kit's LWA or gateway URL stood in clear in any log of an
app logging at INFO, until the night of 2026-12-06. Taken out of the URL and given as the basic
auth httpx itself makes of it when no other auth is given, the same Authorization header goes out.
"""

from __future__ import annotations

import httpx

__all__ = ["userinfo_as_auth"]


def userinfo_as_auth(url: httpx.URL, auth: httpx.Auth | None) -> tuple[httpx.URL, httpx.Auth | None]:
    """`url` without its user info, and the auth to send: `auth` when given, else the user info's
    basic auth (httpx's own rule when `send()` gets no auth: `Client._build_request_auth`)."""
    if not url.userinfo:
        return url, auth
    if auth is None and (url.username or url.password):
        auth = httpx.BasicAuth(url.username, url.password)
    return url.copy_with(userinfo=b""), auth
