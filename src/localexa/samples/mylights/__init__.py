"""My Lights: a small device cloud with its own OAuth 2.0 server, lights, and a smart home skill
written with `localexa.skill`. localexa's demo runs it beside the server.

The names below are imported on first use (PEP 562), so that the Lambda-style handler
(`localexa.samples.mylights.lambda_handler`), when it only forwards to a running My Lights, does
not load the app, uvicorn and the skill kit into each worker.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localexa.samples.mylights.app import (
        build_mylights_server,
        create_mylights_app,
        run_mylights,
        shared_cloud,
        use_shared_cloud,
    )
    from localexa.samples.mylights.cloud import DeviceCloud, SentEvent
    from localexa.samples.mylights.config import MyLightsConfig
    from localexa.samples.mylights.lambda_handler import handler
    from localexa.samples.mylights.skill import build_skill

#: Where each public name lives.
_HOMES = {
    "DeviceCloud": "cloud",
    "MyLightsConfig": "config",
    "SentEvent": "cloud",
    "build_mylights_server": "app",
    "build_skill": "skill",
    "create_mylights_app": "app",
    "handler": "lambda_handler",
    "run_mylights": "app",
    "shared_cloud": "app",
    "use_shared_cloud": "app",
}


#: Submodules, which importing the package used to load as a side effect.
_SUBMODULES = frozenset(
    {"app", "authz", "cloud", "config", "lambda_handler", "lights", "login_page", "oauth_routes"}
    | {"resource_routes", "skill"}
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"localexa.samples.mylights.{name}")
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'localexa.samples.mylights' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"localexa.samples.mylights.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "DeviceCloud",
    "MyLightsConfig",
    "SentEvent",
    "build_mylights_server",
    "build_skill",
    "create_mylights_app",
    "handler",
    "run_mylights",
    "shared_cloud",
    "use_shared_cloud",
]
