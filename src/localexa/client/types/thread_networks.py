"""Credential Locker wire models (credential-locker-rest-api-reference; spec §7)."""

from __future__ import annotations

from pydantic import Field

from localexa.client.types._base import WireModel

__all__ = ["ThreadNetwork", "ThreadNetworkList"]


class ThreadNetwork(WireModel):
    """One Thread network; `network_key` and `pskc` are secrets and stay out of reprs."""

    extended_pan_id: str
    network_name: str | None = None
    network_key: str | None = Field(default=None, repr=False)
    pskc: str | None = Field(default=None, repr=False)
    pan_id: str | None = None
    channel_number: int | None = None
    default_border_agent_id: str | None = None


class ThreadNetworkList(WireModel):
    """`GET /credentiallocker/v2/threadNetworks` 200: the token sits at the top level."""

    thread_networks: list[ThreadNetwork] = []
    next_token: str | None = None
