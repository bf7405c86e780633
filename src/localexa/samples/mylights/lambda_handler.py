"""My Lights as a Lambda-style function.

Skill endpoint: `python:localexa.samples.mylights.lambda_handler:handler`.

It answers from the in-process device cloud (`shared_cloud()`), the same one a My Lights server
started with `build_mylights_server` / `run_mylights` in this process uses. When the handler runs
in another process (localexa runs `python:` endpoints in a fresh process per call), set
`MYLIGHTS_URL` to that server's base URL: the handler then hands each directive to its `/skill`,
as a Lambda in front of a device cloud would.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from localexa.samples.mylights.app import shared_cloud
from localexa.samples.mylights.cloud import DeviceCloud
from localexa.samples.mylights.skill import build_skill
from localexa.skill import Message, SkillHandler

REMOTE_ENV = "MYLIGHTS_URL"
_bound: tuple[DeviceCloud, SkillHandler] | None = None


def _skill() -> SkillHandler:
    """The skill for the current shared cloud, built once per cloud."""
    global _bound
    cloud = shared_cloud()
    if _bound is None or _bound[0] is not cloud:
        _bound = (cloud, build_skill(cloud))
    return _bound[1]


def handler(event: Mapping[str, Any], context: object = None) -> Message:
    """Synchronous, as Lambda calls it. From async code run it off the event loop
    (`await asyncio.to_thread(handler, event, None)`), since AcceptGrant makes HTTP calls."""
    remote = os.environ.get(REMOTE_ENV)
    if remote:
        return _forward(remote, event)
    return _skill()(event, context)


def _forward(base_url: str, event: Mapping[str, Any]) -> Message:
    answer = httpx.post(base_url.rstrip("/") + "/skill", json=dict(event), timeout=7.0)
    answer.raise_for_status()
    body: Message = answer.json()
    return body


async def handle(event: Mapping[str, Any]) -> Message:
    """The same, for async callers."""
    return await _skill().handle(event)
