"""A ready-made AcceptGrant handler (spec §4): exchange `grant.code` at LWA, save the tokens for
the user the grantee token identifies, answer AcceptGrant.Response (or ACCEPT_GRANT_FAILED)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

import httpx

from localexa.skill.errors import AcceptGrantFailed
from localexa.skill.grants import LWA_BASE_URL, GrantExchangeError, GrantTokens, exchange_grant_code
from localexa.skill.handler import SkillRequest
from localexa.skill.http import shown_url
from localexa.skill.messages import AcceptGrantPayload
from localexa.skill.responses import Message, accept_grant_response

SaveTokens = Callable[[str, GrantTokens], Awaitable[None] | None]

log = logging.getLogger("localexa.skill")


class AcceptGrantHandler:
    """Register with `skill.add("Alexa.Authorization", "AcceptGrant", AcceptGrantHandler(...))`.

    Needs a validator on the SkillHandler, since the user comes from the grantee token.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        save: SaveTokens,
        *,
        lwa_base_url: str = LWA_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self._save = save
        self.lwa_base_url = lwa_base_url
        self._transport = transport

    def __repr__(self) -> str:
        return (
            f"AcceptGrantHandler(client_id={self.client_id!r}, lwa_base_url={shown_url(self.lwa_base_url)})"
        )

    async def __call__(self, request: SkillRequest) -> Message:
        if request.user is None:
            raise AcceptGrantFailed("The grantee token does not identify a user.")
        code = AcceptGrantPayload.model_validate(request.payload).grant.code
        try:
            tokens = await exchange_grant_code(
                code, self.client_id, self._client_secret, self.lwa_base_url, transport=self._transport
            )
        except GrantExchangeError as error:
            # Alexa gets Amazon's fixed message; the skill's own log says why (nothing did: a
            # skill with the wrong messaging credentials failed every AcceptGrant without a trace).
            # The OAuth error, its description and the status only: never the code or the secret.
            # The URL without its password, quoted (a `user:password@` in lwa_base_url stood in
            # the log in clear: re-verification of the night of 2026-12-06).
            log.warning(
                "AcceptGrant: the grant code exchange at %s failed: %s (HTTP %s)",
                shown_url(self.lwa_base_url),
                error,
                error.status if error.status is not None else "-",
            )
            raise AcceptGrantFailed() from None
        saved = self._save(request.user, tokens)
        if inspect.isawaitable(saved):
            await saved
        return accept_grant_response(request.directive)
