"""The Python client shows a base URL without its password, however that password splits the URL
(tests/skill/hostile_urls.py: an unescaped `#`, `?` or `/` in it, a scheme with one slash or
none, scheme-relative, an `@` look-alike): in `redact`, `shown_url`, its errors and its reprs.
`redact` looked for the user info where httpx parses it, so `http://me:pa#ss@host` was shown
whole, and `shown_url` cut the query before hiding the password, so `http://me:pa?ss@host` was
shown as `'http://me:pa'` (re-verification E1 of the night of 2026-12-06)."""

from __future__ import annotations

import pytest

from localexa.client import Client, LocalexaClientError
from localexa.client.messages import redact, shown_url
from tests.skill.hostile_urls import assert_hidden, hostile_urls


@pytest.mark.parametrize("url", hostile_urls())
def test_no_password_text_is_shown(url: str) -> None:
    """Port 1 of 127.0.0.1 is closed: a URL the client takes fails to connect, and says where."""
    shown = [redact(url) or "", shown_url(url)]
    try:
        with Client(base_url=url, admin_key="k", max_retries=0) as client:
            shown += [repr(client), repr(client.endpoints)]
            client.admin.health()
    except (LocalexaClientError, ValueError) as error:
        shown += [str(error), repr(error)]
    assert_hidden(*shown)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://me:pa?ss@host/x?token=t", "'http://me:***@host/x' (its query and fragment not shown)"),
        ("http://me:pa#ss@host/", "'http://me:***@host/'"),
        ("http://host/p?access_token=abc:def@x", "'http://host/p' (its query and fragment not shown)"),
        ("http://user@host/?a=b", "'http://user@host/' (its query and fragment not shown)"),
    ],
)
def test_the_password_is_hidden_before_the_query_is_cut(url: str, shown: str) -> None:
    assert shown_url(url) == shown
