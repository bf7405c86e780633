"""`Alexa.Authorization.AcceptGrant` (spec §4, Amazon's `sample_messages/Authorization`).

The directive has no endpoint: `grant.code` is the one-time code the skill exchanges at LWA for
event-gateway tokens, `grantee.token` is the skill's own account-linking token for the user.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from localexa.skill.messages.envelope import BearerScope, NonEmpty, WireModel


class Grant(WireModel):
    type: Literal["OAuth2.AuthorizationCode"]
    code: NonEmpty = Field(repr=False)  # a one-time secret: out of logs


class AcceptGrantPayload(WireModel):
    grant: Grant
    grantee: BearerScope
