"""Each field of the PUT body as OpenThread defines it; a 400 `{"code","message"}` naming the field,
and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.credential_locker.conftest import PATH, Locker, network

VALID = [
    pytest.param("networkKey", "00" * 16, id="networkKey-zeros"),
    pytest.param("networkKey", "AaBbCcDdEeFf00112233445566778899", id="networkKey-mixed-case"),
    pytest.param("pskc", "ff" * 16, id="pskc-16-bytes"),
    pytest.param("extendedPanId", "0123456789abcdef", id="extendedPanId-8-bytes"),
    pytest.param("networkName", "A", id="networkName-1-byte"),
    pytest.param("networkName", "x" * 16, id="networkName-16-bytes"),
    pytest.param("networkName", "Küche-Bad-12", id="networkName-utf8-13-bytes"),
    pytest.param("panId", "0000", id="panId-0000"),
    pytest.param("panId", "fffe", id="panId-fffe"),
    pytest.param("channelNumber", 11, id="channel-11"),
    pytest.param("channelNumber", 26, id="channel-26"),
    pytest.param("defaultBorderAgentId", "ab", id="borderAgent-1-byte"),
    pytest.param("defaultBorderAgentId", "ab" * 32, id="borderAgent-32-bytes"),
]

INVALID = [
    pytest.param("networkKey", "00" * 15, id="networkKey-15-bytes"),
    pytest.param("networkKey", "00" * 17, id="networkKey-17-bytes"),
    pytest.param("networkKey", "zz" * 16, id="networkKey-not-hex"),
    pytest.param("networkKey", "network.key.1", id="networkKey-seed-placeholder"),
    pytest.param("networkKey", 1234, id="networkKey-number"),
    pytest.param("networkKey", None, id="networkKey-null"),
    pytest.param("pskc", "00" * 8, id="pskc-8-bytes"),
    pytest.param("pskc", "0" * 31, id="pskc-odd-digits"),
    pytest.param("pskc", "", id="pskc-empty"),
    pytest.param("extendedPanId", "00" * 7, id="extendedPanId-7-bytes"),
    pytest.param("extendedPanId", "00" * 9, id="extendedPanId-9-bytes"),
    pytest.param("extendedPanId", "extended.pan.id.1", id="extendedPanId-seed-placeholder"),
    pytest.param("extendedPanId", None, id="extendedPanId-null"),
    pytest.param("networkName", "", id="networkName-empty"),
    pytest.param("networkName", "x" * 17, id="networkName-17-bytes"),
    pytest.param("networkName", "ü" * 9, id="networkName-18-utf8-bytes"),
    pytest.param("networkName", 7, id="networkName-number"),
    pytest.param("panId", "ffff", id="panId-broadcast"),
    pytest.param("panId", "12345", id="panId-5-digits"),
    pytest.param("panId", "12", id="panId-1-byte"),
    pytest.param("panId", 4660, id="panId-number"),
    pytest.param("channelNumber", 10, id="channel-10"),
    pytest.param("channelNumber", 27, id="channel-27"),
    pytest.param("channelNumber", "15", id="channel-string"),
    pytest.param("channelNumber", 15.5, id="channel-float"),
    pytest.param("channelNumber", True, id="channel-bool"),
    pytest.param("defaultBorderAgentId", "xyz", id="borderAgent-not-hex"),
    pytest.param("defaultBorderAgentId", "abc", id="borderAgent-odd-digits"),
    pytest.param("defaultBorderAgentId", "ab" * 33, id="borderAgent-33-bytes"),
]


@pytest.mark.parametrize(("field", "value"), VALID)
async def test_valid_values_are_stored(locker: Locker, field: str, value: Any) -> None:
    body = network(**{field: value})
    response = await locker.put(body)
    assert response.status_code == 200, response.text
    xpan = body["extendedPanId"]
    stored = (await locker.get(extendedPanId=xpan)).json()["threadNetworks"]
    expected = value.lower() if isinstance(value, str) and field != "networkName" else value
    assert stored[0][field] == expected


@pytest.mark.parametrize(("field", "value"), INVALID)
async def test_invalid_values_are_400_naming_the_field(locker: Locker, field: str, value: Any) -> None:
    body = network(extendedPanId="0102030405060708")
    body[field] = value
    response = await locker.put(body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert set(answer) == {"code", "message"}
    assert answer["code"] == "INVALID_REQUEST"
    assert field in answer["message"]
    assert (await locker.get(extendedPanId="0102030405060708")).json() == {"threadNetworks": []}


async def test_a_lone_surrogate_is_refused_at_the_door_in_the_lockers_shape(locker: Locker) -> None:
    """No character (core/request_guard.py): refused before the body is parsed, so the message
    names the surrogate rather than the field."""
    body = network(extendedPanId="0102030405060708", networkName="\ud800")
    response = await locker.put(body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_REQUEST"
    assert "unpaired UTF-16 surrogate" in response.json()["message"]
    assert (await locker.get(extendedPanId="0102030405060708")).json() == {"threadNetworks": []}


@pytest.mark.parametrize("field", ["extendedPanId", "networkName", "networkKey"])
async def test_required_fields(locker: Locker, field: str) -> None:
    body = network()
    del body[field]
    response = await locker.put(body)
    assert response.status_code == 400
    assert response.json()["message"] == f"{field} is required."


async def test_optional_fields_may_be_null(locker: Locker) -> None:
    body = network(pskc=None, panId=None)
    body["channelNumber"] = None
    assert (await locker.put(body)).status_code == 200
    stored = (await locker.get(extendedPanId="dead00beef00cafe")).json()["threadNetworks"][0]
    assert "channelNumber" not in stored
    assert "pskc" not in stored


async def test_unknown_inner_fields_are_named(locker: Locker) -> None:
    response = await locker.put(network(meshLocalPrefix="fd00::", zeta=1))
    assert response.status_code == 400
    assert response.json()["message"] == "threadNetwork has unknown field(s): meshLocalPrefix, zeta."


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "required", id="empty"),
        pytest.param(b"{not json", "not valid JSON", id="not-json"),
        pytest.param(b"[]", "JSON object", id="array"),
        pytest.param(b"{}", "threadNetwork is required", id="no-threadNetwork"),
        pytest.param(b'{"threadNetwork": null}', "threadNetwork is required", id="null-threadNetwork"),
        pytest.param(b'{"threadNetwork": "x"}', "threadNetwork must be a JSON object", id="string"),
        pytest.param(b'{"threadNetwork": {}, "extra": 1}', "unknown field(s): extra", id="unknown-top"),
    ],
)
async def test_bad_bodies(locker: Locker, content: bytes, expected: str) -> None:
    headers = {**locker.headers, "Content-Type": "application/json"}
    response = await locker.client.put(PATH, content=content, headers=headers)
    assert response.status_code == 400
    assert expected in response.json()["message"]
