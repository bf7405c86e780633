"""Our backend's Alexa linking, against a real localexa server (the `localexa` fixture)."""

from __future__ import annotations

import pytest
from phone_backend import AlexaLinker

from localexa.client import AuthenticationError, ServiceUnavailableError
from localexa.testing import Localexa


def linker_for(localexa: Localexa, skill_id: str, redirect_uri: str) -> AlexaLinker:
    return AlexaLinker(localexa.client, skill_id=skill_id, redirect_uri=redirect_uri)


def test_the_app_links_a_customers_alexa_account(localexa: Localexa) -> None:
    skill = localexa.create_skill(account_linking=True)  # its token endpoint: the kit's stub
    customer = localexa.create_customer(region="EU")
    amazon_token = localexa.access_token(customer, "alexa::skills:account_linking")
    linker = linker_for(localexa, skill.skill_id, skill.redirect_uri)

    assert linker.link(amazon_token=amazon_token, auth_code=skill.auth_code()).linked
    assert linker.is_linked(amazon_token=amazon_token)


def test_a_code_our_oauth_server_did_not_issue_is_refused(localexa: Localexa) -> None:
    skill = localexa.create_skill(account_linking=True)
    amazon_token = localexa.access_token(localexa.create_customer(), "alexa::skills:account_linking")
    linker = linker_for(localexa, skill.skill_id, skill.redirect_uri)

    result = linker.link(amazon_token=amazon_token, auth_code="forged")
    assert not result.linked
    assert result.reason
    assert not linker.is_linked(amazon_token=amazon_token)


def test_unlinking_is_idempotent(localexa: Localexa) -> None:
    skill = localexa.create_skill(account_linking=True)
    customer = localexa.create_customer()
    localexa.link(customer, skill)
    amazon_token = localexa.access_token(customer, "alexa::skills:account_linking")
    linker = linker_for(localexa, skill.skill_id, skill.redirect_uri)

    assert linker.is_linked(amazon_token=amazon_token)
    linker.unlink(amazon_token=amazon_token)
    linker.unlink(amazon_token=amazon_token)
    assert not linker.is_linked(amazon_token=amazon_token)


def test_an_expired_amazon_token_is_an_authentication_error(localexa: Localexa) -> None:
    skill = localexa.create_skill(account_linking=True)
    amazon_token = localexa.access_token(localexa.create_customer(), "alexa::skills:account_linking")
    localexa.advance_clock(3601)  # LWA access tokens live one hour

    with pytest.raises(AuthenticationError):
        linker_for(localexa, skill.skill_id, skill.redirect_uri).is_linked(amazon_token=amazon_token)


def test_amazon_being_unavailable_reaches_the_caller(localexa: Localexa) -> None:
    skill = localexa.create_skill(account_linking=True)
    amazon_token = localexa.access_token(localexa.create_customer(), "alexa::skills:account_linking")
    localexa.fault("/v1/users/~current/skills/*/enablement", status=503, method="POST")

    with pytest.raises(ServiceUnavailableError):
        linker_for(localexa, skill.skill_id, skill.redirect_uri).link(
            amazon_token=amazon_token, auth_code=skill.auth_code()
        )


def test_every_test_starts_from_an_empty_server(localexa: Localexa) -> None:
    assert localexa.client.admin.customers.list() == []
    assert localexa.client.admin.skills.list() == []
