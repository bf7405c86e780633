"""A base_url whose host no client can send is a ConfigurationError at construction, naming the
URL and why (README "Python client"): `http://a..b/` and a 64-character label were taken and
raised a bare UnicodeError at the first call, `http://xn--` raised idna's IDNAError, `http://a.xn--/`
went to DNS, and `http://☃.com/` was said to have a query or fragment (revB QA of 2026-12-06)."""

from __future__ import annotations

import pytest

from localexa.client import AsyncClient, Client, ConfigurationError, Endpoints
from tests.unsendable_hosts import PART_OVER_255, SENDABLE, UNSENDABLE


@pytest.mark.parametrize(("url", "why"), UNSENDABLE)
def test_an_unsendable_host_is_refused_at_construction(url: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Client(base_url=url)
    assert str(caught.value) == f"base_url {url!r} is not a valid URL: {why}"


@pytest.mark.parametrize(("url", "why"), UNSENDABLE[:1] + UNSENDABLE[4:5])
def test_the_async_client_refuses_them_too(url: str, why: str) -> None:
    with pytest.raises(ConfigurationError, match="is not a valid URL: its host"):
        AsyncClient(base_url=url)


def test_the_password_is_not_shown() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Client(base_url="http://me:s3cret@a..b/?token=x")
    assert "s3cret" not in str(caught.value)
    assert "token=x" not in str(caught.value)
    assert "'http://me:***@a..b/'" in str(caught.value)


@pytest.mark.parametrize("host", ["\u2603.com", "\u2167.com:5"])
def test_the_url_is_still_shown_when_httpx_cannot_parse_its_host(host: str) -> None:
    # The password used to be hidden by parsing the URL with httpx, which refuses just these
    # hosts: the message then said '<a URL that is not valid>' (revC QA of 2026-12-06).
    with pytest.raises(ConfigurationError) as caught:
        Client(base_url=f"http://u:s3cret@{host}/")
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith(f"base_url 'http://u:***@{host}/' is not a valid URL: its host")


def test_a_regional_base_url_is_checked_too() -> None:
    with pytest.raises(ConfigurationError, match=r"^eu_base_url 'http://a\.xn--:8081' is not a valid URL"):
        Endpoints.local("http://localhost:8080", eu_base_url="http://a.xn--:8081")


MORE_SENDABLE = [
    "http://127.0.0.1",
    "http://a.b.:9",
    "http://my_box",
    "http://xn--bcher-kva.example",
    "http://b\u00fccher.example",
]


@pytest.mark.parametrize("url", [*SENDABLE, *MORE_SENDABLE])
def test_sendable_hosts_are_taken(url: str) -> None:
    Client(base_url=url).close()


def test_a_part_of_thousands_of_digits_is_over_255_too() -> None:
    """int() refuses a string of over 4,300 digits with a ValueError, which the rule must not raise."""
    url = f"http://{'1' * 5000}.0.0.1"
    with pytest.raises(ConfigurationError) as caught:
        Client(base_url=url)
    assert str(caught.value).endswith(f"is not a valid URL: {PART_OVER_255}")


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_an_empty_base_url_is_refused_not_taken_for_amazons_hosts(client_class: type) -> None:
    """`Client(base_url=os.environ.get("LX", ""))` with LX unset sent every call, its token with
    it, to api.amazonalexa.com: only None means Amazon's hosts (cliq QA of 2026-12-07)."""
    with pytest.raises(ConfigurationError, match=r"^base_url must be an http\(s\) URL .*not ''$"):
        client_class(base_url="")


def test_an_empty_base_url_beside_endpoints_is_both() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        Client(base_url="", endpoints=Endpoints.local("http://127.0.0.1:8080"))
