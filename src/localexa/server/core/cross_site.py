"""Whether a browser form came from another site: the sign-in pages and the console refuse such a
form whatever it carries, and say so (a cookie of the site, or a page's token, may come with it)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

from localexa.server.settings import Settings

_DEFAULT_PORTS = {"http": 80, "https": 443}

#: An origin as compared here: scheme, host name (lower case, IPv6 without brackets) and port.
_Origin = tuple[str, str, int]


def posted_from_another_site(request: Request) -> bool:
    """The browser says the form came from another site, or its `Origin` is none of this server's.

    Browsers say where a request comes from in `Sec-Fetch-Site` (W3C Fetch Metadata Request
    Headers, https://w3c.github.io/webappsec-fetch-metadata/). A `Sec-` name makes it a forbidden
    request-header (WHATWG Fetch): no page's script can set or change it. So `cross-site` always
    refuses, and `same-origin` always accepts: the browser judges by the URL it posted to, so it
    holds behind a reverse proxy that rewrites `Host` (nginx's default, or `Host $host`, which
    drops the port), where the console's own forms were refused (QA of 2026-12-06).

    `same-site` is another origin of the same site: another port of localhost, a sibling
    subdomain, someone else's page perhaps (and it gets this site's cookies, which SameSite does
    not tell apart by port). It is accepted only with an `Origin` of this server: not with
    `Origin: null`, which any page gets by posting with `Referrer-Policy: no-referrer`. This
    server's own forms always post to their page's origin, so a browser says `same-origin` of them.

    Otherwise (`none`, or no header: browsers send none over plain HTTP to an address that is not
    localhost) the `Origin` decides: this server's when it is the `Host` the request came with, or
    the origin of a region's public base URL (what a proxy in front shows the browser). Here
    `Origin: null` (the sign-in pages send `no-referrer`) and no `Origin` say nothing either way."""
    fetch_site = request.headers.get("sec-fetch-site", "").lower()
    if fetch_site == "cross-site":
        return True
    if fetch_site == "same-origin":
        return False
    origin_header = request.headers.get("origin")
    if not origin_header or origin_header == "null":
        return fetch_site == "same-site"
    origin = _origin_of(origin_header.rstrip("/"))
    if origin is None:
        return True
    settings: Settings = request.app.state.settings
    return not (_is_host(origin, request.headers.get("host", "")) or _is_public_origin(origin, settings))


def _origin_of(url: str) -> _Origin | None:
    """Scheme, host and port of an origin (`https://localhost:18143`); None for anything else,
    such as a URL with a path or credentials, which no browser sends as an `Origin`."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port out of range or not a number, an unbalanced `[`
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path or parts.query or parts.fragment:
        return None
    if "@" in parts.netloc:
        return None
    return scheme, parts.hostname, port if port is not None else _DEFAULT_PORTS[scheme]


def _is_host(origin: _Origin, host: str) -> bool:
    """The `Host` header names the origin's host and port. It carries no scheme (localexa may be
    reached over HTTPS through a proxy while it serves plain HTTP), so a `Host` without a port
    means the default port of the origin's scheme."""
    scheme, _, _ = origin
    named = _origin_of(f"{scheme}://{host}") if host else None
    return named is not None and named == origin


def _is_public_origin(origin: _Origin, settings: Settings) -> bool:
    """The origin of a region's public base URL (LOCALEXA_PUBLIC_BASE_URL and its EU and FE
    twins): the address browsers are given for this server when a proxy in front of it passes
    another `Host` on. Settings holds each to scheme://host[:port]."""
    for url in settings.public_origins().values():
        if url and _origin_of(url.strip().rstrip("/")) == origin:
            return True
    return False
