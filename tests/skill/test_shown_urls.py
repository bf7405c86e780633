"""How the skill kit shows a URL in its errors, logs and reprs (`shown_url`, skill/http.py): only a
password is hidden. `http://user@host/` (a user and no password) was shown as `user:***@`, as if
it had one; the URL was cut at its first `@`, so a password holding an `@` showed its end
(`u:p@ss@host` as `u:***@ss@host`) and an `@` in a query with no user info was taken for one
(`http://host?x=a@b` as `http://host?x=a:***@b`; lead's QA of the night of 2026-12-06)."""

from __future__ import annotations

import pytest

from localexa.skill import AcceptGrantHandler, EventGatewayClient, GrantTokens, IntrospectionValidator
from localexa.skill.clock import utc_now
from localexa.skill.http import not_a_url, shown_url, unsendable_url
from tests.skill.hostile_urls import assert_hidden, hostile_urls

SHOWN = [
    ("http://user@host/token", "'http://user@host/token'"),
    ("http://user:s3cret@host/token", "'http://user:***@host/token'"),
    ("https://u:p@ss@host:8443/o2/token", "'https://u:***@host:8443/o2/token'"),
    ("http://:s3cret@host/", "'http://:***@host/'"),
    ("http://user:@host/", "'http://user:@host/'"),  # an empty password: nothing to hide
    ("http://host/path@x", "'http://host/path@x'"),
    ("http://host?x=a@b", "'http://host?x=a@b'"),
    # A `:` then an `@` after the scheme: all between them may be a password holding a `#`.
    ("http://host#a:b@c", "'http://host#a:***@c'"),
    ("http://me:pa#ss@127.0.0.1:18400", "'http://me:***@127.0.0.1:18400'"),
    ("http://me:pa?ss@host/token?x=1", "'http://me:***@host/token?x=1'"),
    ("http://u:p/w@h/", "'http://u:***@h/'"),
    ("http://host:8080/a@b", "'http://host:***@b'"),  # may be the password `8080/a`
    ("//u:pw@h/", "'//u:***@h/'"),
    ("http:/u:pw@h/", "'http:/u:***@h/'"),
    ("user:s3cret@host/token", "'user:***@host/token'"),  # no scheme: still no password shown
    ("http://host/", "'http://host/'"),
]


@pytest.mark.parametrize(("url", "shown"), SHOWN)
def test_only_a_password_is_hidden(url: str, shown: str) -> None:
    assert shown_url(url) == shown
    assert "s3cret" not in shown_url(url)


def test_the_handler_shows_a_user_without_a_password_as_given() -> None:
    handler = AcceptGrantHandler(
        "client", "secret", lambda user, tokens: None, lwa_base_url="http://me@lwa.test/"
    )
    assert "lwa_base_url='http://me@lwa.test/'" in repr(handler)
    with_password = AcceptGrantHandler(
        "client", "secret", lambda user, tokens: None, lwa_base_url="http://me:pw@ss@lwa.test/"
    )
    assert "lwa_base_url='http://me:***@lwa.test/'" in repr(with_password)


@pytest.mark.parametrize("url", hostile_urls())
def test_no_password_text_is_shown_however_the_url_splits(url: str) -> None:
    """A password holding an unescaped `#`, `?` or `/` ends the authority early for every parser,
    so the kit, which looked for the user info in the parsed authority, showed it in clear in the
    very errors saying the URL is not valid (re-verification E1 of the night of 2026-12-06)."""
    tokens = GrantTokens("access", "refresh", utc_now())
    shown = [
        shown_url(url),
        not_a_url(url),
        unsendable_url(url) or "",
        repr(AcceptGrantHandler("client", "secret", lambda user, tokens: None, lwa_base_url=url)),
        repr(EventGatewayClient(tokens, "client", "secret", base_url=url, lwa_base_url=url)),
        repr(IntrospectionValidator(url, "client", "secret")),
    ]
    assert_hidden(*shown)
