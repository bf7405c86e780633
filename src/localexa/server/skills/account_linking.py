"""SMAPI account-linking configuration: `/v1/skills/{skillId}/stages/{stageV2}/accountLinkingClient`
(spec §5; ask-smapi-model `get/update/delete_account_linking_info_v1`, ask-cli
`ask smapi get/update/delete-account-linking-info`).

localexa keeps one account-linking configuration per skill (the admin body's `accountLinking`),
read by every stage the skill has. Writes go to the `development` stage only: a `live` stage is
what certification published, so SMAPI lets no one edit it in place (403, BadRequestError shape).
`certified`, SMAPI's third `stageV2`, is a stage no localexa skill has: 404, as any other name.

The GET answer never carries `clientSecret` (absent from SMAPI's `AccountLinkingResponse`), so a
PUT without one keeps the stored secret: a GET, edit, PUT round trip must not wipe it. Every GET
and PUT answers an `ETag`; a PUT with `If-Match` that names another version is 412.

The skill's Alexa client (app-to-app account linking) follows every write: its redirect URIs are
the `redirectUrls` a PUT names, and none after a DELETE.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.auth import Principal
from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import Forbidden, LocalexaError, NotFound
from localexa.server.core.json_body import smapi_model
from localexa.server.skills.models import Skill
from localexa.server.skills.schemas import AccountLinkingSpec
from localexa.server.skills.service import SkillService, follow_account_linking

#: SMAPI's `stageV2` enum; localexa skills have the first two at most.
STAGES_V2: tuple[str, ...] = ("development", "certified", "live")
WRITABLE_STAGE = "development"
_BODY_SHAPE = '{"accountLinkingRequest": {"type": "AUTH_CODE", "authorizationUrl": ..., ...}}'


class PreconditionFailed(LocalexaError):
    """412: the `If-Match` of a PUT names a version that is not the current one."""

    status = 412
    default_code = "PRECONDITION_FAILED"


class _PutPayload(AccountLinkingSpec):
    """The PUT's payload: the fields, and the GET's `accountLinkingResponse` copy tolerated and
    dropped, so a GET body sent back whole under `accountLinkingRequest` is a round trip."""

    account_linking_response: Any = Field(
        default=None,
        exclude=True,
        description="Ignored: the copy of the fields a GET answers (skills/routes.py), if sent back.",
    )


class AccountLinkingRequest(BaseModel):
    """SMAPI's PUT body: the payload wrapped as `{"accountLinkingRequest": {...}}` (spec §5)."""

    model_config = ConfigDict(populate_by_name=True)

    account_linking_request: _PutPayload = Field(alias="accountLinkingRequest")


def parse_request(raw: bytes) -> AccountLinkingSpec:
    """The PUT body, read by the route after the token (401 first whatever was sent), as JSON
    whatever its Content-Type (core/json_body.py). Each broken field is one of BadRequestError's
    `violations`."""
    return smapi_model(AccountLinkingRequest, raw, shape=_BODY_SHAPE).account_linking_request


def etag(skill: Skill) -> str:
    """A strong ETag of the stored configuration. The sealed secret takes part as stored (its
    nonce changes with every new secret), so a new secret alone is a new version."""
    stored = json.dumps(skill.account_linking, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{stored}\0{skill.account_linking_secret_sealed or ''}".encode())
    return f'"{digest.hexdigest()[:32]}"'


def _matches(if_match: str, current: str) -> bool:
    """RFC 9110 §13.1.1: `*` or any listed tag; strong comparison, tolerating tags sent without
    their quotes (SMAPI's clients pass the value the user copied)."""
    wanted = current.strip('"')
    for tag in if_match.split(","):
        tag = tag.strip()
        if tag == "*" or (not tag.startswith("W/") and tag.strip('"') == wanted):
            return True
    return False


class AccountLinkingService:
    def __init__(self, session: AsyncSession, box: SecretBox, clock: Clock) -> None:
        self.skills = SkillService(session, box, clock)
        self.session = session
        self.box = box

    async def _skill(self, principal: Principal, skill_id: str, stage: str) -> Skill:
        # Any other stage is a 404 too, not a 400: SMAPI's model of GET and DELETE has no 400
        # (ask-smapi-sdk would hand its caller the raw body), and the path names no resource.
        skill = await self.skills.skill_for_developer(skill_id, principal)
        if stage not in skill.stages:
            raise NotFound(f"The skill {skill_id} has no {stage} stage.", code="STAGE_NOT_FOUND")
        return skill

    async def _writable(self, principal: Principal, skill_id: str, stage: str) -> Skill:
        skill = await self._skill(principal, skill_id, stage)
        if stage != WRITABLE_STAGE:
            raise Forbidden(
                f"The {stage} stage is read-only; change the {WRITABLE_STAGE} stage's account linking.",
                code="STAGE_READ_ONLY",
            )
        return skill

    async def get(self, principal: Principal, skill_id: str, stage: str) -> tuple[dict[str, Any], str]:
        skill = await self._skill(principal, skill_id, stage)
        if skill.account_linking is None:
            raise NotFound(f"The skill {skill_id} has no account linking.", code="NOT_FOUND")
        return dict(skill.account_linking), etag(skill)

    async def put(
        self, principal: Principal, skill_id: str, stage: str, raw_body: bytes, if_match: str | None
    ) -> str:
        skill = await self._writable(principal, skill_id, stage)
        # The body is read once the skill and stage are known to be writable: a PUT on `live`
        # is 403 STAGE_READ_ONLY whatever it sent (it was a 400 about the body first).
        spec = parse_request(raw_body)
        self._check_version(skill, if_match)
        skill.account_linking = spec.public()
        if spec.client_secret:
            skill.account_linking_secret_sealed = self.box.seal(spec.client_secret, context=skill.id)
        # The skill's Alexa client sends customers back only to the redirect URLs named now.
        await follow_account_linking(self.session, skill)
        await self.session.flush()
        return etag(skill)

    async def delete(self, principal: Principal, skill_id: str, stage: str) -> None:
        skill = await self._writable(principal, skill_id, stage)
        if skill.account_linking is None:
            raise NotFound(f"The skill {skill_id} has no account linking.", code="NOT_FOUND")
        # Existing links keep their tokens until they expire; a refresh then finds no token URL
        # and marks the link NEEDS_RELINK (enablement.links), as after a config change on Amazon.
        skill.account_linking = None
        skill.account_linking_secret_sealed = None
        # No redirect URL is left: /ap/oa refuses every redirect_uri of the skill's Alexa client.
        await follow_account_linking(self.session, skill)
        await self.session.flush()

    @staticmethod
    def _check_version(skill: Skill, if_match: str | None) -> None:
        if if_match is None:
            return
        if skill.account_linking is None or not _matches(if_match, etag(skill)):
            raise PreconditionFailed("If-Match does not name the current version of the account linking.")
