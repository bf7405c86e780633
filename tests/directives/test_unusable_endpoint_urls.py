"""A skill endpoint the skill routes take but the outbound client cannot call fails at the
directive as `UNREACHABLE` ("… is not a valid URL"), without a connection attempt: an IPvFuture
literal, a DEL in the host, and (since 2026-12-06; it was a 500, and the after-link follow-up
ended on an internal error) an IDNA host that does not decode. A host any label of which IDNA
2008 refuses is one (rev5 QA: `http://a.xn--/` went to DNS, and `http://☃.com/`, taken by IDNA
2003, was told apart only by httpx's first-label check), in the same words at the directive and
at the token URL of account linking."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.directives.conftest import MyLights, endpoints_after_link, link_customer, send
from tests.factories import Admin

#: What an outbound call says of a host IDNA 2008 refuses (localexa/idna_hosts.py), after the URL.
NOT_IDNA = " is not a valid URL: its host is not a domain name IDNA 2008 takes (RFC 5891)"
EMPTY_LABEL = " is not a valid URL: its host has an empty label (two dots in a row, or a dot first)"
LONG_LABEL = " is not a valid URL: its host has a label longer than 63 characters (RFC 1035 §2.3.4)"
LEADING_ZERO = (
    " is not a valid URL: its host is an IPv4 address with a leading zero, and leading zeros in an IPv4"
    " address are refused: some parsers read them as octal (010 is 8), others as decimal"
)
PART_OVER_255 = (
    " is not a valid URL: its host is a dotted quad with a part over 255, and an IPv4 address's parts"
    " are 0-255"
)
NUMBER_LAST = (
    " is not a valid URL: its host ends in a number, which URL parsers read as an IPv4 address, and it"
    " is not one (four parts, each 0-255)"
)


@pytest.fixture
def backend() -> str:
    """A URL is refused before any row is read or written: SQLite only (conftest's `backend`
    would run each case on PostgreSQL too, for CI's time)."""
    return "sqlite"


IDNA_HOSTS = [
    pytest.param("xn--", id="idna-first-label"),
    pytest.param("a.xn--", id="idna-later-label"),
    pytest.param("A.XN--", id="idna-later-label-upper-case"),
    pytest.param("\u2603.com", id="idna-2003-only"),
    pytest.param("xn--n3h.com", id="idna-2003-only-as-a-label"),
]


@pytest.mark.parametrize(
    ("endpoint", "says"),
    [
        *(pytest.param(f"http://{p.values[0]}/skill", NOT_IDNA, id=p.id) for p in IDNA_HOSTS),
        pytest.param("http://a..b/skill", EMPTY_LABEL, id="empty-label"),
        pytest.param(f"http://{'a' * 64}.com/skill", LONG_LABEL, id="label-over-63"),
        pytest.param("http://[v1.x]/skill", " is not a valid URL", id="ipvfuture"),
        pytest.param("http://a\x7f/skill", " is not a valid URL", id="del-in-host"),
        pytest.param("http://1.2.3.04/skill", LEADING_ZERO, id="ipv4-leading-zero"),
        pytest.param("http://999.1.1.1/skill", PART_OVER_255, id="ipv4-part-over-255"),
        pytest.param("http://1.2.3.04./skill", LEADING_ZERO, id="ipv4-leading-zero-trailing-dot"),
        pytest.param("http://1.2.3.4.5/skill", NUMBER_LAST, id="number-last-not-ipv4"),
    ],
)
async def test_an_endpoint_the_client_cannot_call_is_unreachable(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights, endpoint: str, says: str
) -> None:
    linked = await link_customer(admin, client, mylights, endpoint=endpoint)
    view = await endpoints_after_link(admin, linked)
    answer = await send(
        admin,
        {
            "userId": linked.user_id,
            "skillId": linked.skill_id,
            "endpointId": "light-1",
            "namespace": "Alexa.PowerController",
            "name": "TurnOn",
        },
    )

    assert view["discovery"]["status"] == "FAILED"
    assert view["discovery"]["message"].endswith(f"/skill{says}"), view["discovery"]
    assert answer.status_code == 200, answer.text
    assert answer.json()["error"]["type"] == "UNREACHABLE"
    assert answer.json()["error"]["message"].endswith(f"/skill{says}")


@pytest.mark.parametrize("host", IDNA_HOSTS)
async def test_a_token_url_the_client_cannot_call_refuses_the_link(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights, caplog: pytest.LogCaptureFixture, host: str
) -> None:
    caplog.set_level(logging.INFO, logger="localexa.enablement")
    linking = {**mylights.account_linking(), "accessTokenUrl": f"http://{host}/token"}
    skill = await admin.skill(endpoint=f"{mylights.url}/skill", account_linking=linking)
    customer = await admin.customer()
    token = await admin.access_token(customer.user_id, ["alexa::skills:account_linking"])
    body = {
        "stage": "development",
        "accountLinkRequest": {
            "redirectUri": "https://app.example.com/alexa",
            "authCode": mylights.auth_code(),
            "type": "AUTH_CODE",
        },
    }
    answer = await client.post(
        f"/v1/users/~current/skills/{skill.skill_id}/enablement",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"message": "Invalid account linking credentials"}
    # The log says why, in the directive's words (it was "could not be reached" for `a.xn--`).
    refused = [r.getMessage() for r in caplog.records if "account link refused" in r.getMessage()]
    assert refused, caplog.text
    assert refused[-1].endswith(f"/token{NOT_IDNA}"), refused
