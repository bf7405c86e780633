"""Which forms count as sent from another site (core/cross_site.py), behind a reverse proxy too.

QA of 2026-12-06 behind nginx terminating TLS on https://localhost:18143: the proxy passed
`Host: localhost` on (`proxy_set_header Host $host;` drops the port), and Chromium's own forms of
the console, with `Origin: https://localhost:18143` and `Sec-Fetch-Site: same-origin`, were
refused as "Sent from another site"."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from starlette.requests import Request

from localexa.server.core.cross_site import posted_from_another_site
from localexa.server.settings import Settings

PUBLIC = "https://localhost:18143"


def _request(headers: dict[str, str], public_base_url: str | None = None) -> Request:
    # The EU listener's public URL too: each region's is this server's.
    settings = Settings(
        data_dir=Path("unused"),
        public_base_url=public_base_url,
        eu_public_base_url="https://eu.example.test:8444",
    )
    app = SimpleNamespace(state=SimpleNamespace(settings=settings))
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/console/clock", "headers": raw, "app": app})


@pytest.mark.parametrize(
    ("headers", "public_base_url"),
    [
        # The browser's own word: the proxy rewrote Host, and nothing else says it is this server.
        ({"Host": "localhost", "Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"}, None),
        ({"Host": "127.0.0.1:8080", "Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"}, None),
        # The origin of LOCALEXA_PUBLIC_BASE_URL (a browser that sends no Sec-Fetch-Site).
        ({"Host": "localhost", "Origin": PUBLIC}, PUBLIC),
        ({"Host": "127.0.0.1:8080", "Origin": PUBLIC}, PUBLIC + "/"),
        (
            {"Host": "upstream", "Origin": "https://alexa.example.test"},
            "https://Alexa.Example.Test:443",
        ),
        ({"Host": "upstream", "Origin": PUBLIC, "Sec-Fetch-Site": "same-site"}, PUBLIC),
        ({"Host": "upstream", "Origin": "https://eu.example.test:8444"}, None),
        # The Host header, as before (its scheme is unknown: localexa may sit behind TLS).
        ({"Host": "localhost:8080", "Origin": "http://localhost:8080"}, None),
        ({"Host": "localhost:8080", "Origin": "https://LOCALHOST:8080"}, None),
        ({"Host": "example.com", "Origin": "https://example.com"}, None),
        ({"Host": "[::1]:8080", "Origin": "http://[::1]:8080", "Sec-Fetch-Site": "same-site"}, None),
        # Nothing said either way.
        ({"Host": "localhost"}, None),
        ({"Host": "localhost", "Origin": "null"}, PUBLIC),
        ({"Host": "localhost", "Origin": "null", "Sec-Fetch-Site": "same-origin"}, None),
    ],
)
def test_forms_of_this_server_are_accepted(headers: dict[str, str], public_base_url: str | None) -> None:
    assert not posted_from_another_site(_request(headers, public_base_url))


@pytest.mark.parametrize(
    ("headers", "public_base_url"),
    [
        # The browser says cross-site: nothing else counts, not even an Origin of this server.
        ({"Host": "localhost", "Sec-Fetch-Site": "cross-site"}, PUBLIC),
        ({"Host": "localhost", "Origin": PUBLIC, "Sec-Fetch-Site": "cross-site"}, PUBLIC),
        ({"Host": "localhost:18143", "Origin": PUBLIC, "Sec-Fetch-Site": "Cross-Site"}, None),
        ({"Host": "localhost", "Origin": "null", "Sec-Fetch-Site": "cross-site"}, None),
        # Another origin of the same site (another port of localhost, a sibling subdomain): the
        # browser says same-site, and its Origin is no origin of this server.
        ({"Host": "localhost", "Origin": "https://localhost:18144", "Sec-Fetch-Site": "same-site"}, PUBLIC),
        ({"Host": "localhost", "Origin": "http://localhost:18143", "Sec-Fetch-Site": "same-site"}, PUBLIC),
        ({"Host": "upstream", "Origin": "https://evil.example.test", "Sec-Fetch-Site": "same-site"}, None),
        # ... and a same-site page that hides its origin (`Referrer-Policy: no-referrer` makes it
        # null): this server's own forms are same-origin.
        ({"Host": "localhost:8080", "Origin": "null", "Sec-Fetch-Site": "same-site"}, None),
        ({"Host": "localhost:8080", "Sec-Fetch-Site": "same-site"}, None),
        # A rewritten Host without a port is the default port only.
        ({"Host": "localhost", "Origin": PUBLIC}, None),
        ({"Host": "localhost", "Origin": "https://localhost:8443"}, PUBLIC),
        # Foreign, or no origin at all, with or without a public URL to compare with.
        ({"Host": "localhost", "Origin": "https://evil.example"}, PUBLIC),
        ({"Host": "localhost", "Origin": "https://evil.example", "Sec-Fetch-Site": "none"}, PUBLIC),
        ({"Host": "localhost", "Origin": "https://localhost:18143.evil.example"}, PUBLIC),
        ({"Host": "localhost", "Origin": "https://evil.example/localhost:18143"}, PUBLIC),
        ({"Host": "localhost", "Origin": "https://localhost:18143@evil.example"}, PUBLIC),
        ({"Host": "localhost", "Origin": "https://user@localhost:18143"}, PUBLIC),
        ({"Host": "localhost", "Origin": "localhost:18143"}, PUBLIC),
        ({"Host": "localhost", "Origin": "ftp://localhost:18143"}, None),
        ({"Host": "localhost:99999", "Origin": "http://localhost:99999"}, None),
        ({"Host": "", "Origin": "http://localhost"}, None),
        ({"Origin": "http://["}, None),
    ],
)
def test_forms_of_other_sites_are_refused(headers: dict[str, str], public_base_url: str | None) -> None:
    assert posted_from_another_site(_request(headers, public_base_url))
