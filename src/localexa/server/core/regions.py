"""Alexa regions. A customer belongs to one; each region has its own endpoint.

localexa serves each region on its own listener (NA on `--port`, EU on port+1, FE on port+2), and
also honours the `Host` header of Amazon's regional host names (with or without the trailing dot
of a fully qualified name), so a client with a hosts-file entry or a proxy reaches the right region
too. `RegionMiddleware` puts the region of every request in `request.state.region`.
"""

from __future__ import annotations

import enum

from starlette.types import ASGIApp, Receive, Scope, Send


class Region(enum.StrEnum):
    NA = "NA"
    EU = "EU"
    FE = "FE"


AMAZON_HOSTS: dict[Region, str] = {
    Region.NA: "api.amazonalexa.com",
    Region.EU: "api.eu.amazonalexa.com",
    Region.FE: "api.fe.amazonalexa.com",
}
_BY_HOST = {host: region for region, host in AMAZON_HOSTS.items()}
# The Skill Enablement reference page lists the FE endpoint as api.fe.amazon.com (its own 5XX
# fallback list says api.fe.amazonalexa.com): a client built from that page reaches FE too.
_BY_HOST["api.fe.amazon.com"] = Region.FE


def amazon_region_of_host(host: str) -> Region | None:
    """The region whose Amazon host name `host` is (lower case, no port), else None."""
    return _BY_HOST.get(host)


class RegionMiddleware:
    def __init__(self, app: ASGIApp, ports: dict[str, int]) -> None:
        self.app = app
        self._by_port = {port: Region(name) for name, port in ports.items()}

    def region_of(self, scope: Scope) -> Region:
        for name, value in scope.get("headers", []):
            if name == b"host":
                # One trailing dot is the same name written fully qualified (RFC 1034 §3.1), as
                # some clients send it (`api.eu.amazonalexa.com.`); two dots are no DNS name.
                host = value.decode("latin-1").rsplit(":", 1)[0].lower().removesuffix(".")
                region = amazon_region_of_host(host)
                if region is not None:
                    return region
                break
        server = scope.get("server")
        if server and len(server) > 1 and server[1] in self._by_port:
            return self._by_port[server[1]]
        return Region.NA

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["region"] = self.region_of(scope)
        await self.app(scope, receive, send)
