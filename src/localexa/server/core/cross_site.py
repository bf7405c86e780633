"""Whether a browser form came from another site: the sign-in pages and the console refuse such a
form whatever it carries, and say so (a cookie of the site, or a page's token, may come with it)."""

from __future__ import annotations

from starlette.requests import Request


def posted_from_another_site(request: Request) -> bool:
    """The browser says the form came from another site (`Sec-Fetch-Site`), or its `Origin` is
    not this server's. `Origin: null` (a page with `no-referrer`) and no header at all say
    nothing either way."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return True
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    host = request.headers.get("host", "")
    return origin.partition("://")[2].rstrip("/").lower() != host.lower()
