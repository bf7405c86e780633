"""The testing kit and the typed client with a skill's Alexa client (app-to-app account linking)."""

from __future__ import annotations

from localexa.testing import Localexa

ACCOUNT_LINKING = "alexa::skills:account_linking"


def _tokens_of(localexa: Localexa, client_id: str) -> int:
    """How many tokens the server holds for `client_id` (read from a snapshot of its tables)."""
    tokens = localexa.client.admin.snapshot()["tables"]["lwa_tokens"]
    return sum(1 for token in tokens if token["client_id"] == client_id)


def test_a_kit_skill_carries_its_alexa_client_and_links_through_it(localexa: Localexa) -> None:
    skill = localexa.create_skill(account_linking=True)
    assert skill.alexa_client_id is not None
    assert skill.alexa_client_id.startswith("amzn1.application-oa2-client.")
    assert skill.alexa_client_secret
    assert skill.alexa_client_secret not in repr(skill)

    info = localexa.client.admin.skills.get(skill.skill_id)
    assert info.alexa_client_id == skill.alexa_client_id
    assert info.alexa_client_credentials is not None
    assert info.alexa_client_credentials.client_secret == skill.alexa_client_secret
    listed = localexa.client.admin.skills.list()
    assert [(s.alexa_client_id, s.alexa_client_credentials) for s in listed] == [
        (skill.alexa_client_id, None)
    ]
    clients = {c.client_id: c for c in localexa.client.admin.lwa_clients.list()}
    assert clients[skill.alexa_client_id].redirect_uris == [skill.redirect_uri]

    customer = localexa.create_customer()
    assert _tokens_of(localexa, skill.alexa_client_id) == 0
    record = localexa.link(customer, skill)
    assert record.account_link is not None
    assert record.account_link.status == "LINKED"
    # link() used the skill's own Alexa client, as an app must on Amazon (not the kit's app client).
    assert _tokens_of(localexa, skill.alexa_client_id) > 0
    token = localexa.access_token(customer, ACCOUNT_LINKING, client_id=skill.alexa_client_id)
    assert localexa.client.customer_enablement.get(skill.skill_id, token=token).status == "ENABLED"


def test_the_clients_skill_creation_answers_the_alexa_client(localexa: Localexa) -> None:
    developer = localexa.create_developer()
    created = localexa.client.admin.skills.create(
        vendor_id=developer.vendor_id, name="My Lights", endpoint="http://127.0.0.1:9/skill"
    )
    assert created.alexa_client_credentials is not None
    assert created.alexa_client_credentials.client_id != created.skill_messaging_credentials.client_id
    assert created.alexa_client_credentials.client_secret not in repr(created)
