"""`GET /v1/alexaApiEndpoint`'s Host rule, its edges (revA QA of 2026-12-06): a name whose last
label is a number (all digits, or `0x` hex) is an IPv4 attempt to a URL parser (RFC 1123 §2.1,
WHATWG URL: `0x7f.1` is 127.0.0.1 in a browser, `a.123` no URL), so no host name, and was echoed;
a port is `*DIGIT` with leading zeros allowed everywhere (`localhost:021700` was a 400 from the
request guard while `localhost:00080` passed); the refusal names `_`, which the rule takes; a
non-ASCII Host is quoted as the UTF-8 it was sent as, not latin-1 mojibake."""

from __future__ import annotations

import httpx
import pytest

from tests.enablement.helpers import bearer, customer_token
from tests.factories import Admin


@pytest.fixture
def backend() -> str:
    """The Host rule is checked before any route or database: SQLite only (conftest's `backend`
    would run each case on PostgreSQL too, for CI's time)."""
    return "sqlite"


async def _ask(client: httpx.AsyncClient, admin: Admin, host: str | bytes) -> httpx.Response:
    token = await customer_token(admin, await admin.customer(region="EU"))
    raw = host if isinstance(host, bytes) else host.encode()
    headers = [(name.encode(), value.encode()) for name, value in bearer(token).items()]
    return await client.get("/v1/alexaApiEndpoint", headers=[*headers, (b"Host", raw)])


@pytest.mark.parametrize(
    "host", ["0x7f.1", "a.123", "a.0x1F", "example.0x", "a.0X:80", "a.123.", "127.1", "1.2.3.4.5:80"]
)
async def test_a_name_ending_in_a_number_is_refused_saying_why(
    client: httpx.AsyncClient, admin: Admin, host: str
) -> None:
    """In the outbound rule's words (localexa/idna_hosts.py); the general host[:port] wording did
    not say what was wrong (re-verification of the night of 2026-12-06)."""
    response = await _ask(client, admin, host)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == (
        f"The Host header {host!r} is not a host[:port]: it ends in a number, which URL parsers read"
        " as an IPv4 address, and it is not one (four parts, each 0-255)."
    )


@pytest.mark.parametrize(
    ("host", "endpoint"),
    [
        ("123.example", "123.example:8081"),
        ("a.0xg", "a.0xg:8081"),
        ("a.1x", "a.1x:8081"),
        ("10.0.0.7", "10.0.0.7:8081"),
        ("localhost:021700", "localhost:8081"),
        ("localhost:00080", "localhost:8081"),
        ("localhost:" + "0" * 10 + "65535", "localhost:8081"),
    ],
)
async def test_names_and_zero_padded_ports_are_followed(
    client: httpx.AsyncClient, admin: Admin, host: str, endpoint: str
) -> None:
    response = await _ask(client, admin, host)
    assert response.status_code == 200, response.text
    assert response.json() == {"endpoints": [endpoint]}


@pytest.mark.parametrize("host", ["localhost:065536", "localhost:" + "0" * 5000 + "99999", "localhost:000"])
async def test_a_zero_padded_port_out_of_range_is_refused(
    client: httpx.AsyncClient, admin: Admin, host: str
) -> None:
    response = await _ask(client, admin, host)
    assert response.status_code == 400, response.text
    assert "is not a host[:port]" in response.json()["message"]


async def test_a_non_ascii_host_is_quoted_as_sent(client: httpx.AsyncClient, admin: Admin) -> None:
    response = await _ask(client, admin, "\u2603.com".encode())
    assert response.status_code == 400, response.text
    assert "The Host header '\u2603.com' is not a host[:port]" in response.json()["message"]


@pytest.mark.parametrize("host", ["1.2.3.04", "01.2.3.4", "10.0.0.010:8080", "127.000.0.1", "1.2.3.04."])
async def test_an_ipv4_address_with_a_leading_zero_is_refused_saying_why(
    client: httpx.AsyncClient, admin: Admin, host: str
) -> None:
    """Octal to inet_aton and WHATWG URL parsers, decimal to others, refused by Python's
    `ipaddress`: it names no one address. It was refused in the words of a name ending in a number,
    which did not say what was wrong with it."""
    response = await _ask(client, admin, host)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert message == (
        f"The Host header {host!r} is not a host[:port]: leading zeros in an IPv4 address are refused: "
        "some parsers read them as octal (010 is 8), others as decimal."
    ), message


@pytest.mark.parametrize("host", ["999.1.1.1", "1.2.3.256:8080", "256.0.0.1.", "1.2.300.4"])
async def test_an_ipv4_address_with_a_part_over_255_is_refused_saying_why(
    client: httpx.AsyncClient, admin: Admin, host: str
) -> None:
    """In the words outbound URLs use (localexa/idna_hosts.py); it was refused in the words of a
    name ending in a number, which did not say what was wrong with it."""
    response = await _ask(client, admin, host)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    expected = f"The Host header {host!r} is not a host[:port]: an IPv4 address's parts are 0-255."
    assert message == expected, message


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.0", "100.20.3.0:8080"])
async def test_an_ipv4_address_with_zero_parts_is_followed(
    client: httpx.AsyncClient, admin: Admin, host: str
) -> None:
    response = await _ask(client, admin, host)
    assert response.status_code == 200, response.text
    assert response.json() == {"endpoints": [f"{host.partition(':')[0]}:8081"]}
