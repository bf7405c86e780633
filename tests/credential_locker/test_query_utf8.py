"""GET's `networkName` must be UTF-8 once percent-decoded, as the PUT's must: `%ff` used to be
decoded to U+FFFD (Starlette replaces what is not UTF-8) and answered 200 with no networks."""

from __future__ import annotations

import httpx
import pytest

from tests.credential_locker.conftest import PATH, Locker, network

XPAN = "1111111122222222"


async def _get(locker: Locker, query: str) -> httpx.Response:
    # Written by hand: httpx would percent-encode the `%` of `%ff` itself.
    return await locker.client.get(f"{PATH}?{query}", headers=locker.headers)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("%ff", id="ff"),
        pytest.param("Home%ff", id="after-ascii"),
        pytest.param("%c3", id="cut-sequence"),
        pytest.param("%ed%a0%80", id="encoded-surrogate"),
        pytest.param("%c0%80", id="overlong-nul"),
    ],
)
async def test_a_name_that_is_not_utf8_is_400_in_the_lockers_shape(locker: Locker, name: str) -> None:
    response = await _get(locker, f"extendedPanId={XPAN}&networkName={name}")
    assert response.status_code == 400, response.text
    assert response.json() == {"code": "INVALID_REQUEST", "message": "networkName must be valid UTF-8."}


async def test_a_replacement_character_the_client_sent_is_a_name_like_any_other(locker: Locker) -> None:
    """U+FFFD sent as its UTF-8 (`%EF%BF%BD`) is valid: stored by PUT, found by GET."""
    assert (await locker.put(network(extendedPanId=XPAN, networkName="Home\ufffd"))).status_code == 200
    response = await _get(locker, f"extendedPanId={XPAN}&networkName=Home%EF%BF%BD")
    assert response.status_code == 200, response.text
    assert [n["networkName"] for n in response.json()["threadNetworks"]] == ["Home\ufffd"]


async def test_a_duplicate_name_parameter_that_is_not_utf8_is_refused_too(locker: Locker) -> None:
    response = await _get(locker, f"extendedPanId={XPAN}&networkName=Home&networkName=%ff")
    assert response.status_code == 400, response.text


async def test_other_parameters_keep_their_own_refusals(locker: Locker) -> None:
    response = await _get(locker, "extendedPanId=%ff&networkName=Home")
    assert response.status_code == 400
    assert "extendedPanId" in response.json()["message"]
