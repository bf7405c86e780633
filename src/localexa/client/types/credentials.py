"""Skill Credentials wire models (skill-credentials-rest-api-reference; spec §1.4)."""

from __future__ import annotations

from pydantic import Field

from localexa.client.types._base import WireModel

__all__ = ["SkillCredentials", "SkillMessagingCredentials"]


class SkillMessagingCredentials(WireModel):
    client_id: str
    client_secret: str = Field(repr=False)


class SkillCredentials(WireModel):
    """`GET /v1/skills/{skillId}/credentials` 200."""

    skill_messaging_credentials: SkillMessagingCredentials
