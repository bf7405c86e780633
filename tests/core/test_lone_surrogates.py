"""Unpaired UTF-16 surrogates (`"\\ud800"` in JSON, or the bytes ED A0 80): no character, and no
database stores them as text. A client id holding one was a 500 at the token endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from localexa.server.core import strict_json
from localexa.server.core.strict_json import holds_lone_surrogate
from tests.conftest import ADMIN_KEY
from tests.events.test_gateway import sender
from tests.factories import Admin

ADMIN = {"X-Localexa-Admin-Key": ADMIN_KEY}
SAYS = "unpaired UTF-16 surrogate"


@pytest.mark.parametrize(
    ("body", "lone"),
    [
        (rb'{"a":"\ud800"}', True),
        (rb'{"a":"\udc00"}', True),
        (rb'{"a":"x\uDBFF"}', True),
        (rb'{"a":"\ud800x\udc00"}', True),
        (rb'{"a":"\ud800\ud800\udc00"}', True),
        (rb'{"a":"\ud800\n"}', True),
        (rb'{"a":"\\\ud800"}', True),  # an escaped backslash, then the escape
        ('{"a":"\ud800"}'.encode("utf-8", "surrogatepass"), True),  # raw ED A0 80
        (rb'{"a":"\uD83D\uDE00"}', False),  # one emoji, as a pair
        (rb'{"a":"\ud83d\ude00\n"}', False),
        (rb'{"a":"\\ud800"}', False),  # the text \ud800: an escaped backslash, then "ud800"
        ('{"a":"한국어 😀"}'.encode(), False),  # ED 95 9C is Korean, not a surrogate
    ],
)
def test_what_holds_a_lone_surrogate(body: bytes, lone: bool) -> None:
    assert holds_lone_surrogate(body) is lone


def test_a_skills_answer_with_one_is_not_json() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        strict_json.loads(b'{"event": {"header": {"messageId": "\\udfff"}}}')
    assert strict_json.loads('{"name": "\\ud83d\\ude00"}') == {"name": "\N{GRINNING FACE}"}


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"grant_type":"refresh_token","client_id":"\\ud800"}', id="escape"),
        pytest.param(
            '{"grant_type":"refresh_token","client_id":"\ud800"}'.encode("utf-8", "surrogatepass"), id="raw"
        ),
    ],
)
async def test_the_token_endpoint_refuses_one_in_lwas_shape(client: httpx.AsyncClient, body: bytes) -> None:
    """ask-cli sends the token endpoint JSON; a client id with a surrogate reached the database."""
    answer = await client.post("/auth/o2/token", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert SAYS in answer.json()["error_description"]


async def test_each_api_refuses_one_in_its_own_shape(client: httpx.AsyncClient, admin: Admin) -> None:
    customer = await client.post(
        "/_localexa/customers",
        content=b'{"name": "\\udc00", "email": "s@example.com", "password": "pw123456"}',
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert customer.status_code == 400
    assert SAYS in customer.json()["message"]
    assert (await client.get("/_localexa/customers", headers=ADMIN)).json() == []
    # The gateway reads the body once the sender may send (a 401 is journaled without it).
    who = await sender(admin, client)
    event = await client.post(
        "/v3/events",
        content=b'{"event": "\\ud800"}',
        headers={**who.headers(), "content-type": "application/json"},
    )
    assert event.status_code == 400
    assert event.json()["payload"]["code"] == "INVALID_REQUEST_EXCEPTION"


async def test_a_pair_split_between_two_chunks_passes_and_a_lone_half_does_not(
    client: httpx.AsyncClient,
) -> None:
    paired = await client.post(
        "/_localexa/customers",
        content=_chunks(
            b'{"name": "A\\ud83d', b'\\ude00", "email": "pair@example.com", "password": "pw123456"}'
        ),
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert paired.status_code == 201, paired.text
    assert paired.json()["name"] == "A\N{GRINNING FACE}"
    lone = await client.post(
        "/_localexa/customers",
        content=_chunks(b'{"name": "A\\ud83d', b'", "email": "lone@example.com", "password": "pw123456"}'),
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert lone.status_code == 400
    assert SAYS in lone.json()["message"]
