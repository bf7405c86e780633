"""My Lights: a small device cloud with its own OAuth 2.0 server, lights, and a smart home skill
written with `localexa.skill`. localexa's demo runs it beside the server.
"""

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
