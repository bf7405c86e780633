"""Credential Locker wire models (credential-locker-rest-api-reference; spec §7)."""

from __future__ import annotations

from pydantic import Field

from localexa.client.types._base import WireModel

__all__ = ["ThreadNetwork", "ThreadNetworkList"]


class ThreadNetwork(WireModel):
    """One Thread network; `network_key` and `pskc` are secrets and stay out of reprs.

    `network_name` and `network_key` are required, as the Credential Locker's fields are (a GET
    always answers them): `str`, not `str | None`, since 2026-12-06."""

    extended_pan_id: str
    network_name: str
    network_key: str = Field(repr=False)
    pskc: str | None = Field(default=None, repr=False)
    pan_id: str | None = None
    channel_number: int | None = None
    default_border_agent_id: str | None = None


class ThreadNetworkList(WireModel):
    """`GET /credentiallocker/v2/threadNetworks` 200: the token sits at the top level."""

    thread_networks: list[ThreadNetwork] = []
    next_token: str | None = None
