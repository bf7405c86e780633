"""A skill disabled for a customer reads none of their networks with a token of the grant the
disable ended: the event gateway already refused it (403 SKILL_DISABLED_EXCEPTION), while the
Credential Locker answered the network keys until the token expired (QA of 2026-12-05). Tokens
minted with `POST /_localexa/tokens` after that (a grant of their own) still work, as before."""

from __future__ import annotations

import httpx

from tests.credential_locker.conftest import PATH, make_locker, network
from tests.factories import Admin


async def test_a_token_of_an_ended_grant_is_refused(client: httpx.AsyncClient, admin: Admin) -> None:
    locker = await make_locker(client, admin)
    developer = locker.skill.developer
    locker.customer = developer
    await locker.refresh_token()  # the developer's own messaging token: enable and disable below
    smapi = await admin.access_token(developer.user_id, ["alexa::ask:skills:readwrite"])
    enablement = f"/v1/skills/{locker.skill.skill_id}/stages/development/enablement"
    headers = {"Authorization": f"Bearer {smapi}"}
    assert (await client.put(enablement, headers=headers)).status_code == 204
    assert (await locker.put(network(0))).status_code == 200
    before = locker.token

    assert (await client.delete(enablement, headers=headers)).status_code == 204

    for answer in (
        await client.get(PATH, params={"extendedPanId": "dead00beef00cafe"}, headers=locker.headers),
        await locker.put(network(1)),
    ):
        assert answer.status_code == 403, answer.text
        assert "disabled" in answer.json()["message"]
        assert "00112233445566778899aabbccddeeff" not in answer.text
    await locker.refresh_token()  # a new grant (what the kit's event_token mints)
    assert locker.token != before
    listed = await locker.get(extendedPanId="dead00beef00cafe")
    assert listed.status_code == 200
    assert [n["networkName"] for n in listed.json()["threadNetworks"]] == ["Home-0"]


async def test_enabled_again_the_old_token_reads_again_as_at_the_gateway(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    """As the event gateway (it checks the enablement): within the token's hour, enabling the
    skill again lets the old token read again."""
    locker = await make_locker(client, admin)
    locker.customer = locker.skill.developer
    await locker.refresh_token()
    smapi = await admin.access_token(locker.customer.user_id, ["alexa::ask:skills:readwrite"])
    enablement = f"/v1/skills/{locker.skill.skill_id}/stages/development/enablement"
    headers = {"Authorization": f"Bearer {smapi}"}
    assert (await client.put(enablement, headers=headers)).status_code == 204
    assert (await client.delete(enablement, headers=headers)).status_code == 204
    assert (await locker.put(network(0))).status_code == 403
    assert (await client.put(enablement, headers=headers)).status_code == 204
    assert (await locker.put(network(0))).status_code == 200
