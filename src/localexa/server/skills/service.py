"""Rules of the skill registry: vendors, skills, and who may manage which skill.

A skill gets two LWA clients of its own at creation: its messaging client (Skill Credentials,
skill-credentials seed) and its Alexa client for app-to-app account linking (Amazon's "Alexa
Client Id" and secret, unique to the skill): the customer's app gets the customer's
`alexa::skills:account_linking` token through it, and the Alexa client's redirect URIs are the
skill's `accountLinking.redirectUrls`. Its account-linking client secret is sealed, because
localexa sends it to the skill's token URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core import ids
from localexa.server.core.auth import Principal
from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest, Forbidden, NotFound
from localexa.server.lwa.models import LwaClient
from localexa.server.lwa.registry import ClientSpec, NewClient, Registry, set_redirect_uris
from localexa.server.lwa.repository import LwaRepository
from localexa.server.skills.models import Skill, Vendor
from localexa.server.skills.repository import SkillRepository
from localexa.server.skills.schemas import SkillSpec


@dataclass(frozen=True)
class NewSkill:
    """A skill just created, with the clear secrets of its two clients (shown in the answer)."""

    skill: Skill
    messaging: NewClient
    alexa: NewClient


def redirect_urls(account_linking: dict[str, Any] | None) -> list[str]:
    """The redirect URIs of a skill's Alexa client: its account linking's `redirectUrls` (none
    without account linking), where LWA may send the customer back from /ap/oa."""
    urls = (account_linking or {}).get("redirectUrls") or []
    return [url for url in urls if isinstance(url, str)]


async def follow_account_linking(session: AsyncSession, skill: Skill) -> None:
    """Give the skill's Alexa client the redirect URIs of the skill's account linking as it is now
    (a skill made before localexa had Alexa clients has none to update)."""
    if skill.alexa_client_id is not None:
        await set_redirect_uris(session, skill.alexa_client_id, redirect_urls(skill.account_linking))


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

    async def create_skill(self, spec: SkillSpec) -> NewSkill:
        if await self.repo.vendor(spec.vendor_id) is None:
            raise BadRequest(f"vendorId {spec.vendor_id} is not a vendor.")
        skill_id = ids.skill_id()
        linking = spec.account_linking
        # The Alexa client has no skill_id: that column marks a skill's messaging client, which
        # the event gateway, the Credential Locker and AcceptGrant take for the skill itself.
        messaging, alexa = await Registry(self.session, self.box, self.clock).create_clients(
            ClientSpec(
                name=skill_client_name(spec.name, _MESSAGING),
                redirect_uris=[],
                skill_id=skill_id,
                sealed=True,
            ),
            ClientSpec(
                name=skill_client_name(spec.name, _ALEXA),
                redirect_uris=redirect_urls(linking.public() if linking else None),
                sealed=True,
            ),
        )
        skill = Skill(
            id=skill_id,
            vendor_id=spec.vendor_id,
            name=spec.name,
            stages=list(spec.stages),
            endpoint=spec.endpoint,
            regional_endpoints=spec.regional_endpoints(),
            permissions=list(spec.permissions),
            account_linking=linking.public() if linking else None,
            account_linking_secret_sealed=(
                self.box.seal(linking.client_secret, context=skill_id)
                if linking and linking.client_secret
                else None
            ),
            messaging_client_id=messaging.client_id,
            alexa_client_id=alexa.client_id,
            created_at=self.clock.now(),
        )
        self.repo.add(skill)
        await self.repo.flush()
        return NewSkill(skill=skill, messaging=messaging, alexa=alexa)

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
_ALEXA = " (Alexa)"


def skill_client_name(skill_name: str, suffix: str) -> str:
    """The name of one of a skill's clients: "<skill> messaging" or "<skill> (Alexa)" (the name
    the customer reads on the /ap/oa pages), the skill's name cut so the whole fits the client's
    column (PostgreSQL refuses a longer one; SQLite kept it)."""
    column_type = LwaClient.__table__.c.name.type
    longest = column_type.length if isinstance(column_type, String) and column_type.length else 200
    return skill_name[: longest - len(suffix)] + suffix
