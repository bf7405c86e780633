"""Wire shapes of the Skill Credentials API (skill-credentials seed; spec §1.4)."""

from __future__ import annotations

from localexa.server.skills.schemas import CamelModel, SkillMessagingCredentials


class SkillCredentials(CamelModel):
    """`{"skillMessagingCredentials": {"clientId", "clientSecret"}}` (ask-smapi-model
    `skill_credentials.py`)."""

    skill_messaging_credentials: SkillMessagingCredentials
