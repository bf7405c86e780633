"""Annotated dependencies for the long-lived objects the lifespan owns (STYLE: `SessionDep`).

They are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker thread, which
cost a thread hand-off per dependency per request (measured on the hot path).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.core.http import OutboundHttp
from localexa.server.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.box
    return box


async def get_outbound(request: Request) -> OutboundHttp:
    outbound: OutboundHttp = request.app.state.outbound
    return outbound


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
BoxDep = Annotated[SecretBox, Depends(get_box)]
OutboundDep = Annotated[OutboundHttp, Depends(get_outbound)]
