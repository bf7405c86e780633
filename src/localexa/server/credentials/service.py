"""Rules of the Skill Credentials API (skill-credentials seed; spec §1.4).

Only developers of the skill's vendor read its messaging credentials: an unknown skill is 404, a
skill of another vendor 403 (SMAPI rules, skills.service). The client secret is kept sealed (the
skill's messaging LWA client, lwa.registry) precisely so this call can show it again.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.auth import Principal
from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest, NotFound
from localexa.server.credentials.schemas import SkillCredentials
from localexa.server.lwa.registry import Registry
from localexa.server.lwa.repository import LwaRepository
from localexa.server.skills.schemas import SkillMessagingCredentials
from localexa.server.skills.service import SkillService

#: "skillId … Valid values: 1 – 255 characters." (seed)
MAX_SKILL_ID = 255


async def skill_credentials(
    session: AsyncSession, box: SecretBox, clock: Clock, principal: Principal, skill_id: str
) -> SkillCredentials:
    if not 1 <= len(skill_id) <= MAX_SKILL_ID:
        # The seed's own 400 example: {"message": "...", "code": "INVALID_STRING_LENGTH"}.
        raise BadRequest("The property is outside the allowed range.", code="INVALID_STRING_LENGTH")
    skill = await SkillService(session, box, clock).skill_for_developer(skill_id, principal)
    client = await LwaRepository(session).client(skill.messaging_client_id)
    if client is None or client.secret_sealed is None:
        raise NotFound(f"The skill {skill_id} has no messaging credentials.")
    secret = Registry(session, box, clock).messaging_secret(client)
    return SkillCredentials(
        skill_messaging_credentials=SkillMessagingCredentials(
            client_id=client.client_id, client_secret=secret
        )
    )
