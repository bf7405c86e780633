"""Skill Credentials (`GET /v1/skills/{skillId}/credentials`, spec §1.4)."""

from __future__ import annotations

from localexa.client._async import AsyncResource, async_method
from localexa.client._core import ApiRequest, Flow, call, parse_model, segment
from localexa.client._sync import SyncResource, sync_method
from localexa.client.types.credentials import SkillCredentials

__all__ = ["AsyncCredentials", "Credentials"]


def get(skill_id: str) -> Flow[SkillCredentials]:
    """The skill's messaging client id and secret (for AcceptGrant exchanges and skill messaging)."""
    response = yield from call(ApiRequest("GET", f"/v1/skills/{segment(skill_id)}/credentials"))
    return parse_model(response, SkillCredentials)


class Credentials(SyncResource):
    """`client.credentials`: skill messaging credentials."""

    get = sync_method(get)


class AsyncCredentials(AsyncResource):
    get = async_method(get)
