"""A field or query parameter given twice is a 400 naming it: the last one was taken, so a PUT
holding two network keys stored one of them without a word, and `extendedPanId=A&extendedPanId=B`
listed B's networks."""

from __future__ import annotations

import httpx
import pytest

from tests.credential_locker.conftest import PATH, Locker, network

KEY = "00112233445566778899aabbccddeeff"
OTHER_KEY = "ffeeddccbbaa99887766554433221100"


async def _put_raw(locker: Locker, body: str) -> httpx.Response:
    headers = {**locker.headers, "Content-Type": "application/json"}
    return await locker.client.put(PATH, content=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(
            '{"threadNetwork": {"extendedPanId": "dead00beef00cafe", "networkName": "Home", '
            f'"networkKey": "{KEY}", "networkKey": "{OTHER_KEY}"}}}}',
            "networkKey",
            id="inner-field",
        ),
        pytest.param(
            '{"threadNetwork": {"extendedPanId": "dead00beef00cafe", "networkName": "A", '
            f'"networkKey": "{KEY}"}}, "threadNetwork": {{"extendedPanId": "dead00beef00cafe", '
            f'"networkName": "B", "networkKey": "{KEY}"}}}}',
            "threadNetwork",
            id="whole-network",
        ),
    ],
)
async def test_a_field_given_twice_is_refused_and_nothing_stored(
    locker: Locker, body: str, field: str
) -> None:
    response = await _put_raw(locker, body)
    assert response.status_code == 400, response.text
    assert response.json() == {
        "code": "INVALID_REQUEST",
        "message": f"The request body gives the field {field} more than once.",
    }
    listed = await locker.get(extendedPanId="dead00beef00cafe")
    assert listed.json()["threadNetworks"] == []


@pytest.mark.parametrize("name", ["extendedPanId", "networkName", "maxResults", "nextToken"])
async def test_a_query_parameter_given_twice_is_refused(locker: Locker, name: str) -> None:
    assert (await locker.put(network(extendedPanId="1111111122222222"))).status_code == 200
    values = {
        "extendedPanId": "1111111122222222",
        "networkName": "Home-0",
        "maxResults": "5",
        "nextToken": "x",
    }
    query = "&".join(f"{key}={value}" for key, value in values.items()) + f"&{name}={values[name]}"
    response = await locker.client.get(f"{PATH}?{query}", headers=locker.headers)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == f"The query parameter {name} is given more than once."


async def test_an_encoded_repetition_is_refused_too(locker: Locker) -> None:
    """`extended%50anId` is `extendedPanId` once parsed: the byte count missed it, and the second
    network was listed (re-verification of 2026-12-06)."""
    query = "extendedPanId=1111111122222222&extended%50anId=dead00beef00cafe"
    response = await locker.client.get(f"{PATH}?{query}", headers=locker.headers)
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "The query parameter extendedPanId is given more than once."


async def test_the_same_name_inside_other_values_is_no_repetition(locker: Locker) -> None:
    """Only a parameter given twice counts, not its name inside a value (`count` is only a hint)."""
    assert (await locker.put(network(networkName="extendedPanId"))).status_code == 200
    response = await locker.client.get(
        f"{PATH}?extendedPanId=dead00beef00cafe&networkName=extendedPanId", headers=locker.headers
    )
    assert response.status_code == 200, response.text
    assert [n["networkName"] for n in response.json()["threadNetworks"]] == ["extendedPanId"]


async def test_a_long_field_given_twice_is_named_cut_short(locker: Locker) -> None:
    """The name is the client's text: a 500,000-character key given twice was echoed whole, a
    500 KB answer (QA of 2026-12-07)."""
    name = "k" * 500_000
    response = await _put_raw(locker, f'{{"threadNetwork": {{"{name}": 1, "{name}": 2}}}}')
    assert response.status_code == 400
    assert response.json()["message"] == f"The request body gives the field {'k' * 64}… more than once."
