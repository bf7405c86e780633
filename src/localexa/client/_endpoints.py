"""Where each API lives: Amazon's real hosts by default, or a localexa server with one argument.

Amazon's hosts (spec alexa-api-surface.md §1, §3, §4, §7):

| service | Amazon | `Endpoints.local("http://127.0.0.1:8080")` |
|---|---|---|
| LWA authorize page | https://www.amazon.com | http://127.0.0.1:8080 |
| LWA token, tokeninfo, profile | https://api.amazon.com | http://127.0.0.1:8080 |
| Alexa APIs, NA (SMAPI, customer, events) | https://api.amazonalexa.com | http://127.0.0.1:8080 |
| Alexa APIs, EU | https://api.eu.amazonalexa.com | http://127.0.0.1:8081 |
| Alexa APIs, FE | https://api.fe.amazonalexa.com | http://127.0.0.1:8082 |
| Credential Locker | https://credential-locker-service.amazon.com | http://127.0.0.1:8080 |
| localexa admin API | (none) | http://127.0.0.1:8080 |

localexa serves EU and FE on the two ports after the NA port, as its `serve` command does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import httpx

from localexa.client._errors import ConfigurationError
from localexa.client.messages import redact, shown_url
from localexa.idna_hosts import url_host_fault

__all__ = ["Endpoints", "Region", "Service"]


class Region(enum.StrEnum):
    """Alexa regions; a customer belongs to one (spec §1.2).

    `Region("eu")` is `Region.EU`: a region's name in any case is that region (people write
    "eu", and the CLI, the admin API and Amazon's docs disagree on case). Any other value is a
    ConfigurationError naming the three, not enum's bare ValueError (still a ValueError)."""

    NA = "NA"
    EU = "EU"
    FE = "FE"

    @classmethod
    def _missing_(cls, value: object) -> Region:
        # Enum calls this when `value` is no member's value; a ValueError raised here is raised
        # as it is, so every `Region(x)` (events.send, Endpoints.alexa) refuses the same way.
        if isinstance(value, str):
            for region in cls:
                if region.value == value.strip().upper():
                    return region
        names = ", ".join(region.value for region in cls)
        raise ConfigurationError(f"{value!r} is not an Alexa region: use one of {names} (any case).")


class Service(enum.StrEnum):
    AUTHORIZE = "authorize"
    LWA = "lwa"
    ALEXA = "alexa"
    CREDENTIAL_LOCKER = "credential_locker"
    ADMIN = "admin"


#: Amazon's Alexa API host names by region (the Skill Enablement page also names FE's endpoint
#: `api.fe.amazon.com`), as `/v1/alexaApiEndpoint` answers them.
_AMAZON_ALEXA_HOSTS: dict[str, Region] = {
    "api.amazonalexa.com": Region.NA,
    "api.eu.amazonalexa.com": Region.EU,
    "api.fe.amazonalexa.com": Region.FE,
    "api.fe.amazon.com": Region.FE,
}


def _strip(url: str) -> str:
    return url.rstrip("/")


@dataclass(frozen=True, repr=False)
class Endpoints:
    """Base URL of every service the client talks to (no trailing slash)."""

    authorize: str = "https://www.amazon.com"
    lwa: str = "https://api.amazon.com"
    alexa_na: str = "https://api.amazonalexa.com"
    alexa_eu: str = "https://api.eu.amazonalexa.com"
    alexa_fe: str = "https://api.fe.amazonalexa.com"
    credential_locker: str = "https://credential-locker-service.amazon.com"
    #: localexa's own `/_localexa/` admin API; Amazon has none.
    admin: str | None = None

    @classmethod
    def local(
        cls, base_url: str, *, eu_base_url: str | None = None, fe_base_url: str | None = None
    ) -> Endpoints:
        """Every host mapped to one localexa server; EU and FE on port+1 and port+2 unless given."""
        # A host no client can send (`a..b`, a 64-character label, `xn--`, `a.xn--`, `☃.com`)
        # raised a bare UnicodeError at the first call, idna's IDNAError here, went to DNS, or
        # was called "no http(s) URL" (revB QA): refused now, saying why (localexa/idna_hosts.py).
        for name, url in (("base_url", base_url), ("eu_base_url", eu_base_url), ("fe_base_url", fe_base_url)):
            fault = url_host_fault(url) if url else None
            if fault is not None:
                raise ConfigurationError(f"{name} {shown_url(url or '')} is not a valid URL: {fault}")
        try:
            base = httpx.URL(_strip(base_url))
        except httpx.InvalidURL:  # "http://[::1", a NUL
            base = httpx.URL()
        # Every path is appended to base_url: after a query or fragment it would land in them
        # ("http://h?x=1" sent GET /?x=1/_localexa/health). The value is shown with its password
        # as ***, as repr() shows it, and without its query and fragment (`shown_url`).
        if base.scheme not in ("http", "https") or not base.host or base.query or base.fragment:
            raise ConfigurationError(
                f"base_url must be an http(s) URL with no query or fragment, not {shown_url(base_url)}"
            )
        port = base.port if base.port is not None else (443 if base.scheme == "https" else 80)
        # httpx keeps a port past 65535, which the socket layer wraps onto another port.
        if not 0 < port < 65536:
            raise ConfigurationError(f"base_url's port must be 1-65535, not {port} ({shown_url(base_url)})")
        if port > 65533 and not (eu_base_url and fe_base_url):
            raise ConfigurationError(
                f"base_url's port {port} leaves no room for the EU and FE listeners on port+1 and "
                "port+2: use a port up to 65533, or pass eu_base_url= and fe_base_url= "
                "(Endpoints.local)."
            )
        na = _strip(str(base))
        eu = _strip(eu_base_url) if eu_base_url else _strip(str(base.copy_with(port=port + 1)))
        fe = _strip(fe_base_url) if fe_base_url else _strip(str(base.copy_with(port=port + 2)))
        return cls(
            authorize=na,
            lwa=na,
            alexa_na=na,
            alexa_eu=eu,
            alexa_fe=fe,
            credential_locker=na,
            admin=na,
        )

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={redact(value)!r}" for name, value in vars(self).items())
        return f"Endpoints({fields})"

    def alexa(self, region: Region | str = Region.NA) -> str:
        region = Region(region)
        if region is Region.EU:
            return self.alexa_eu
        if region is Region.FE:
            return self.alexa_fe
        return self.alexa_na

    def regions(self) -> list[str]:
        """The three regional bases in the order the seed prescribes for 5xx fallback: NA, EU, FE."""
        return [self.alexa_na, self.alexa_eu, self.alexa_fe]

    def resolve_alexa_endpoint(self, entry: str) -> str:
        """A `/v1/alexaApiEndpoint` entry (or an `endpoint=` argument) as a base URL.

        One of Amazon's Alexa host names is that region's endpoint as this client knows it: on
        Amazon the same host over HTTPS, on a localexa server its regional listener. (A localexa
        reached through a hosts-file entry answers Amazon's names; prefixing them with a local
        `http://` base's scheme sent the customer's token to the real host in the clear.)
        Otherwise localexa answers bare `host:port` entries, which take the scheme of the NA
        endpoint; an entry with a scheme is used as given.
        """
        entry = entry.strip().rstrip("/")
        if "://" in entry:
            return entry
        region = _AMAZON_ALEXA_HOSTS.get(entry.lower().removesuffix("."))
        if region is not None:
            return self.alexa(region)
        scheme = httpx.URL(self.alexa_na).scheme or "https"
        return f"{scheme}://{entry}"

    def base(self, service: Service, region: Region | str = Region.NA) -> str | None:
        if service is Service.ALEXA:
            return self.alexa(region)
        return {
            Service.AUTHORIZE: self.authorize,
            Service.LWA: self.lwa,
            Service.CREDENTIAL_LOCKER: self.credential_locker,
            Service.ADMIN: self.admin,
        }[service]
