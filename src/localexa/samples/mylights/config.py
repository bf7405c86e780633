"""My Lights settings: its OAuth client, its demo user, and where Alexa's hosts are."""

from __future__ import annotations

from dataclasses import dataclass, field

from localexa.skill.gateway import EVENTS_BASE_URL
from localexa.skill.grants import LWA_BASE_URL


@dataclass
class MyLightsConfig:
    """Defaults suit the localexa demo. Secrets stay out of the repr.

    `redirect_uris` empty means any http(s) redirect URI is accepted (Alexa's and the app's are
    not known in advance in a demo). `alexa_client_id/secret` are the skill's Alexa credentials
    (`skillMessagingCredentials`), needed for AcceptGrant and ChangeReports; set them once the
    skill exists (`DeviceCloud.set_alexa_credentials` or `POST /admin/alexa-credentials`).

    `events_base_urls` names each region's event gateway (`{"EU": …, "FE": …}`): a customer whose
    AcceptGrant came through that region's skill endpoint (`POST /skill/eu`, `/skill/fe`, as
    the skill's `regions` give them) has their ChangeReports sent there; the rest go to
    `events_base_url`.
    """

    client_id: str = "alexa-skill"
    client_secret: str = field(default="mylights-secret", repr=False)
    redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("lights",)
    users: dict[str, str] = field(default_factory=lambda: {"demo": "demo"}, repr=False)
    access_token_ttl: int = 3600
    code_ttl: int = 300
    lwa_base_url: str = LWA_BASE_URL
    events_base_url: str = EVENTS_BASE_URL
    events_base_urls: dict[str, str] = field(default_factory=dict)
    alexa_client_id: str | None = None
    alexa_client_secret: str | None = field(default=None, repr=False)
    send_change_reports: bool = True
