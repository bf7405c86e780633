"""My Lights as a Lambda-style function.

Skill endpoint: `python:localexa.samples.mylights.lambda_handler:handler`; `handler_na`,
`handler_eu` and `handler_fe` are the same for one region's customers (a skill's `regions`, as a
skill deployed in three AWS regions has a function in each): the events of a customer whose
AcceptGrant came through one go to that region's gateway (`MyLightsConfig.events_base_urls`).

It answers from the in-process device cloud (`shared_cloud()`), the same one a My Lights server
started with `build_mylights_server` / `run_mylights` in this process uses. When the handler runs
in another process (localexa runs `python:` endpoints in a fresh process per call), set
`MYLIGHTS_URL` to that server's base URL: the handler then hands each directive to its `/skill`,
as a Lambda in front of a device cloud would.

Each path imports only what it needs, since localexa keeps up to 8 workers alive: forwarding uses
the standard library's HTTP client (a worker stays near 20 MB instead of 48 MB), and the My Lights
app, the skill kit and pydantic load on the first in-process call.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from localexa.url_passwords import without_password

if TYPE_CHECKING:
    from localexa.samples.mylights.cloud import DeviceCloud
    from localexa.skill import Message, SkillHandler

REMOTE_ENV = "MYLIGHTS_URL"
#: Seconds to wait for the remote My Lights.
REMOTE_TIMEOUT = 7.0
#: The skills built for the current shared cloud, by region (None: the default endpoint).
_bound: tuple[DeviceCloud, dict[str | None, SkillHandler]] | None = None


class RemoteError(Exception):
    """The remote My Lights could not be reached or answered other than 2xx."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the remote's answer, not followed (as with httpx)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _skill(region: str | None = None) -> SkillHandler:
    """The skill for the current shared cloud and `region`, built once per cloud."""
    from localexa.samples.mylights.app import shared_cloud
    from localexa.samples.mylights.skill import build_skill

    global _bound
    cloud = shared_cloud()
    if _bound is None or _bound[0] is not cloud:
        _bound = (cloud, {})
    skills = _bound[1]
    if region not in skills:
        skills[region] = build_skill(cloud, region)
    return skills[region]


def handler(event: Mapping[str, Any], context: object = None, *, region: str | None = None) -> Message:
    """Synchronous, as Lambda calls it. From async code run it off the event loop
    (`await asyncio.to_thread(handler, event, None)`), since AcceptGrant makes HTTP calls."""
    remote = os.environ.get(REMOTE_ENV)
    if remote:
        return _forward(remote, event, region)
    return _skill(region)(event, context)


def handler_na(event: Mapping[str, Any], context: object = None) -> Message:
    return handler(event, context, region="NA")


def handler_eu(event: Mapping[str, Any], context: object = None) -> Message:
    return handler(event, context, region="EU")


def handler_fe(event: Mapping[str, Any], context: object = None) -> Message:
    return handler(event, context, region="FE")


def _forward(base_url: str, event: Mapping[str, Any], region: str | None = None) -> Message:
    url = base_url.rstrip("/") + ("/skill" if region is None else f"/skill/{region.lower()}")
    # The URL as errors show it: without the password of a user info (`http://me:pw@host`), which
    # stood in clear in each of them.
    shown = without_password(url)
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(
            f"{REMOTE_ENV} must be an http:// or https:// URL, not {without_password(base_url)!r}"
        )
    headers = {"Content-Type": "application/json"}
    url, authorization = _user_info_as_basic(url)
    if authorization is not None:
        headers["Authorization"] = authorization
    data = json.dumps(dict(event), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url, data=data, method="POST", headers=headers
    )
    try:
        with _opener.open(request, timeout=REMOTE_TIMEOUT) as answer:
            content = answer.read()
    except urllib.error.HTTPError as failed:
        with failed:
            raise RemoteError(f"My Lights at {shown} answered {failed.code} {failed.reason}") from None
    except urllib.error.URLError as failed:
        raise RemoteError(f"My Lights at {shown} could not be reached: {failed.reason}") from failed
    except http.client.InvalidURL:
        # Its message quotes the URL's "port", which is the password's text for `http://me:pw@host`.
        raise ValueError(f"{REMOTE_ENV} is not a valid URL: {without_password(base_url)!r}") from None
    body: Message = json.loads(content)
    return body


def _user_info_as_basic(url: str) -> tuple[str, str | None]:
    """`url` without its user info, and that user info as an HTTP Basic `Authorization` value, as
    curl and httpx send it (a My Lights behind a proxy that asks for a password). urllib takes
    `me:pw@host` for the host name: the call failed as a DNS error (readme37b F4)."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    user_info, _, host = parts.netloc.rpartition("@")
    user, _, password = user_info.partition(":")
    pair = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}".encode()
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), "Basic " + base64.b64encode(pair).decode()


async def handle(event: Mapping[str, Any]) -> Message:
    """The same, for async callers."""
    return await _skill().handle(event)
