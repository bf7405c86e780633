"""App-to-app account linking from our backend (Alexa Skill Enablement API, customer side).

The app signs the customer in with Login with Amazon and gets an Amazon access token with the
scope `alexa::skills:account_linking`; our own OAuth server gives the app an authorization code
for the customer's device-cloud account. The backend hands both to Alexa, which exchanges the
code at our token endpoint and links the accounts.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from localexa.client import BadRequestError, Client, NotFoundError
from localexa.client.types import Stage


@dataclass(frozen=True)
class LinkResult:
    linked: bool
    reason: str | None = None


class AlexaLinker:
    """Links customers' Alexa accounts to our skill. `client` is `localexa.client.Client()` in
    production (Amazon's hosts) and a client of a localexa server in tests."""

    def __init__(
        self, client: Client, *, skill_id: str, redirect_uri: str, stage: Stage = "development"
    ) -> None:
        self.client = client
        self.skill_id = skill_id
        self.redirect_uri = redirect_uri
        self.stage: Stage = stage

    def link(self, *, amazon_token: str, auth_code: str) -> LinkResult:
        """Enable our skill for the customer and link their account; a refused code is a result,
        not an exception (the app shows "try again")."""
        try:
            record = self.client.customer_enablement.enable_and_link(
                self.skill_id,
                auth_code=auth_code,
                redirect_uri=self.redirect_uri,
                stage=self.stage,
                token=amazon_token,
            )
        except BadRequestError as error:
            return LinkResult(linked=False, reason=error.message)
        linked = record.account_link is not None and record.account_link.status == "LINKED"
        return LinkResult(linked=linked, reason=None if linked else record.status)

    def is_linked(self, *, amazon_token: str) -> bool:
        try:
            record = self.client.customer_enablement.get(self.skill_id, token=amazon_token)
        except NotFoundError:
            return False
        return record.account_link is not None and record.account_link.status == "LINKED"

    def unlink(self, *, amazon_token: str) -> None:
        """Disable the skill for the customer; unlinking twice is fine."""
        with contextlib.suppress(NotFoundError):
            self.client.customer_enablement.disable(self.skill_id, token=amazon_token)
