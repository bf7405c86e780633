"""PUT and GET /credentiallocker/v2/threadNetworks as the seed describes them."""

from __future__ import annotations

import httpx

from tests.credential_locker.conftest import PATH, Locker, network


async def test_put_answers_200_without_body_and_get_returns_every_field(locker: Locker) -> None:
    response = await locker.put(network())
    assert response.status_code == 200
    assert response.content == b""
    got = await locker.get(extendedPanId="dead00beef00cafe")
    assert got.status_code == 200
    assert got.json() == {"threadNetworks": [network()]}  # networkKey and pskc in clear, no nextToken


async def test_only_required_fields_and_optional_fields_left_out(locker: Locker) -> None:
    minimal = {"extendedPanId": "0001020304050607", "networkName": "Min", "networkKey": "ff" * 16}
    assert (await locker.put(minimal)).status_code == 200
    got = await locker.get(extendedPanId="0001020304050607")
    assert got.json() == {"threadNetworks": [minimal]}


async def test_hex_is_normalized_to_lower_case(locker: Locker) -> None:
    upper = network(extendedPanId="DEAD00BEEF00CAFE", networkKey="0x" + "AB" * 16, panId="0xBEEF")
    assert (await locker.put(upper)).status_code == 200
    got = (await locker.get(extendedPanId="dead00beef00cafe")).json()["threadNetworks"]
    assert got[0]["extendedPanId"] == "dead00beef00cafe"
    assert got[0]["networkKey"] == "ab" * 16
    assert got[0]["panId"] == "beef"
    # The filter is normalized the same way.
    assert (await locker.get(extendedPanId="0xDEAD00BEEF00CAFE")).json()["threadNetworks"] == got


async def test_same_network_twice_is_409(locker: Locker) -> None:
    assert (await locker.put(network())).status_code == 200
    again = await locker.put(network(networkKey="11" * 16, extendedPanId="DEAD00BEEF00CAFE"))
    assert again.status_code == 409
    body = again.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == "ALREADY_EXISTS"
    assert "dead00beef00cafe" in body["message"]
    assert "Home-0" in body["message"]
    # The first one is untouched.
    got = (await locker.get(extendedPanId="dead00beef00cafe")).json()["threadNetworks"]
    assert [n["networkKey"] for n in got] == ["00112233445566778899aabbccddeeff"]


async def test_same_extended_pan_id_other_name_is_another_network(locker: Locker) -> None:
    assert (await locker.put(network(0))).status_code == 200
    assert (await locker.put(network(1))).status_code == 200
    got = (await locker.get(extendedPanId="dead00beef00cafe")).json()["threadNetworks"]
    assert [n["networkName"] for n in got] == ["Home-0", "Home-1"]


async def test_filter_by_network_name(locker: Locker) -> None:
    for n in range(3):
        assert (await locker.put(network(n))).status_code == 200
    assert (await locker.put(network(9, extendedPanId="1111111122222222"))).status_code == 200
    got = await locker.get(extendedPanId="dead00beef00cafe", networkName="Home-1")
    assert got.json() == {"threadNetworks": [network(1)]}
    none = await locker.get(extendedPanId="dead00beef00cafe", networkName="Home-9")
    assert none.json() == {"threadNetworks": []}
    other = await locker.get(extendedPanId="1111111122222222")
    assert [n["networkName"] for n in other.json()["threadNetworks"]] == ["Home-9"]


async def test_unicode_network_name_round_trips(locker: Locker) -> None:
    name = "Zuhause-Küche"  # 14 bytes of UTF-8
    assert (await locker.put(network(networkName=name))).status_code == 200
    got = await locker.get(extendedPanId="dead00beef00cafe", networkName=name)
    assert got.json()["threadNetworks"][0]["networkName"] == name


async def test_get_without_extended_pan_id_is_400(locker: Locker) -> None:
    response = await locker.get()
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message"}
    assert "extendedPanId" in body["message"]


async def test_get_with_bad_filters_is_400_naming_them(locker: Locker) -> None:
    bad_xpan = await locker.get(extendedPanId="extended.pan.id.1")
    assert bad_xpan.status_code == 400
    assert "extendedPanId" in bad_xpan.json()["message"]
    bad_name = await locker.get(extendedPanId="dead00beef00cafe", networkName="x" * 17)
    assert bad_name.status_code == 400
    assert "networkName" in bad_name.json()["message"]


async def test_unknown_extended_pan_id_is_an_empty_list(locker: Locker) -> None:
    got = await locker.get(extendedPanId="0000000000000000")
    assert got.status_code == 200
    assert got.json() == {"threadNetworks": []}


async def test_every_answer_carries_a_request_id(locker: Locker, client: httpx.AsyncClient) -> None:
    for response in (await locker.put(network()), await locker.get(), await client.get(PATH)):
        assert response.headers["X-Amzn-RequestId"]


async def test_openapi_documents_both_routes(client: httpx.AsyncClient) -> None:
    document = (await client.get("/_localexa/openapi.json")).json()
    routes = document["paths"][PATH]
    body = routes["put"]["requestBody"]["content"]["application/json"]["schema"]
    network_schema = body["properties"]["threadNetwork"]
    assert network_schema["required"] == ["extendedPanId", "networkName", "networkKey"]
    assert {"pskc", "panId", "channelNumber", "defaultBorderAgentId"} <= set(network_schema["properties"])
    params = {p["name"] for p in routes["get"]["parameters"]}
    assert params == {"extendedPanId", "networkName", "maxResults", "nextToken"}
