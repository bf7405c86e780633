"""Rules of the skill registry: vendors, skills, and who may manage which skill.

A skill gets its own LWA messaging client at creation (Skill Credentials, skill-credentials seed);
its account-linking client secret is sealed, because localexa sends it to the skill's token URL.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core import ids
from localexa.server.core.auth import Principal
from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest, Forbidden, NotFound
from localexa.server.lwa.models import LwaClient
from localexa.server.lwa.registry import NewClient, Registry
from localexa.server.lwa.repository import LwaRepository
from localexa.server.skills.models import Skill, Vendor
from localexa.server.skills.repository import SkillRepository
from localexa.server.skills.schemas import SkillSpec


def check_skill_id(skill_id: str) -> None:
    if not 1 <= len(skill_id) <= 255:
        # The code Skill Credentials' seed gives for the same rule: one code for one rule on SMAPI.
        raise BadRequest("skillId must be 1 to 255 characters long.", code="INVALID_STRING_LENGTH")


class SkillService:
    def __init__(self, session: AsyncSession, box: SecretBox, clock: Clock) -> None:
        self.session = session
        self.repo = SkillRepository(session)
        self.box = box
        self.clock = clock

    async def create_vendor(self, *, name: str, owner_user_id: str) -> Vendor:
        if await LwaRepository(self.session).customer(owner_user_id) is None:
            raise BadRequest(f"ownerUserId {owner_user_id} is not a customer.")
        vendor = Vendor(
            id=ids.vendor_id(), name=name, owner_user_id=owner_user_id, created_at=self.clock.now()
        )
        self.repo.add(vendor)
        await self.repo.flush()
        return vendor

    async def create_skill(self, spec: SkillSpec) -> tuple[Skill, NewClient]:
        if await self.repo.vendor(spec.vendor_id) is None:
            raise BadRequest(f"vendorId {spec.vendor_id} is not a vendor.")
        skill_id = ids.skill_id()
        messaging = await Registry(self.session, self.box, self.clock).create_client(
            name=messaging_client_name(spec.name), redirect_uris=[], skill_id=skill_id
        )
        linking = spec.account_linking
        skill = Skill(
            id=skill_id,
            vendor_id=spec.vendor_id,
            name=spec.name,
            stages=list(spec.stages),
            endpoint=spec.endpoint,
            permissions=list(spec.permissions),
            account_linking=linking.public() if linking else None,
            account_linking_secret_sealed=(
                self.box.seal(linking.client_secret, context=skill_id)
                if linking and linking.client_secret
                else None
            ),
            messaging_client_id=messaging.client_id,
            created_at=self.clock.now(),
        )
        self.repo.add(skill)
        await self.repo.flush()
        return skill, messaging

    def account_linking_secret(self, skill: Skill) -> str | None:
        if skill.account_linking_secret_sealed is None:
            return None
        return self.box.open(skill.account_linking_secret_sealed, context=skill.id)

    async def skill_for_developer(self, skill_id: str, principal: Principal) -> Skill:
        """The skill, if the caller is a developer of its vendor (SMAPI rules).

        An unknown skill is 404; a skill of another vendor is 403, as SMAPI answers.
        """
        check_skill_id(skill_id)
        # A token without a customer owns no vendor (no customer id is empty): 403.
        found = await self.repo.skill_and_ownership(skill_id, principal.user_id or "")
        if found is None:
            raise NotFound(f"The skill {skill_id} was not found.", code="NOT_FOUND")
        skill, owned = found
        if not owned or principal.user_id is None:
            raise Forbidden("The caller is not a developer of the skill's vendor.", code="ACCESS_DENIED")
        return skill


_MESSAGING = " messaging"


def messaging_client_name(skill_name: str) -> str:
    """The name of a skill's messaging client: "<skill> messaging", the skill's name cut so the
    whole fits the client's column (PostgreSQL refuses a longer one; SQLite kept it)."""
    column_type = LwaClient.__table__.c.name.type
    longest = column_type.length if isinstance(column_type, String) and column_type.length else 200
    return skill_name[: longest - len(_MESSAGING)] + _MESSAGING
