"""Builders for Discover.Response endpoints and their capabilities (docs "Alexa.Discovery").

Every endpoint lists the `Alexa` interface itself; `discovery_endpoint` adds it when missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def capability(
    interface: str,
    supported: Iterable[str] = (),
    *,
    proactively_reported: bool = True,
    retrievable: bool = True,
    instance: str | None = None,
    configuration: Mapping[str, Any] | None = None,
    version: str = "3",
) -> dict[str, Any]:
    """One `AlexaInterface` capability; `supported` names its properties (e.g. `powerState`)."""
    cap: dict[str, Any] = {"type": "AlexaInterface", "interface": interface, "version": version}
    if instance is not None:
        cap["instance"] = instance
    names = list(supported)
    if names:
        cap["properties"] = {
            "supported": [{"name": name} for name in names],
            "proactivelyReported": proactively_reported,
            "retrievable": retrievable,
        }
    if configuration is not None:
        cap["configuration"] = dict(configuration)
    return cap


def alexa_interface() -> dict[str, Any]:
    return capability("Alexa")


def endpoint_health(*, proactively_reported: bool = True) -> dict[str, Any]:
    return capability("Alexa.EndpointHealth", ["connectivity"], proactively_reported=proactively_reported)


def discovery_endpoint(
    endpoint_id: str,
    friendly_name: str,
    capabilities: Iterable[Mapping[str, Any]],
    *,
    description: str,
    manufacturer_name: str,
    display_categories: Iterable[str] = ("OTHER",),
    cookie: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One entry of `Discover.Response` `payload.endpoints`."""
    caps = [dict(c) for c in capabilities]
    if not any(c.get("interface") == "Alexa" for c in caps):
        caps.insert(0, alexa_interface())
    return {
        "endpointId": endpoint_id,
        "manufacturerName": manufacturer_name,
        "friendlyName": friendly_name,
        "description": description,
        "displayCategories": list(display_categories),
        "cookie": dict(cookie or {}),
        "capabilities": caps,
    }
