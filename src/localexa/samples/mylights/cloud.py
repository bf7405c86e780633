"""The My Lights device cloud: users, their lights, the OAuth server, and the Alexa event tokens
AcceptGrant left with it. All in memory; one instance per app (or shared with the Lambda handler).

Its clock can be moved forward (`advance_clock`) so tests expire codes and tokens without waiting.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from localexa.samples.mylights.authz import AuthorizationServer
from localexa.samples.mylights.config import MyLightsConfig
from localexa.samples.mylights.lights import Light, apply_changes, light_properties, seed_lights
from localexa.skill import (
    CauseType,
    EventGatewayClient,
    EventGatewayError,
    GrantExchangeError,
    GrantTokens,
    TokenCheck,
    change_report,
)
from localexa.skill.clock import Now, utc_now

log = logging.getLogger("localexa.samples.mylights")


class UnknownLight(KeyError):
    pass


@dataclass(frozen=True)
class SentEvent:
    """What became of one ChangeReport: the gateway's status, or the error code."""

    user: str
    endpoint_id: str
    status: int | None
    error: str | None = None


class DeviceCloud:
    def __init__(self, config: MyLightsConfig | None = None, *, now: Now = utc_now) -> None:
        self.config = config or MyLightsConfig()
        self._wall = now
        self._offset = timedelta()
        self.oauth = AuthorizationServer(self.config, self.now)
        self._lights: dict[str, dict[str, Light]] = {}
        self._event_tokens: dict[str, GrantTokens] = {}
        #: The region whose skill endpoint received each user's AcceptGrant (None: the default one).
        self._event_regions: dict[str, str | None] = {}
        self.sent_events: deque[SentEvent] = deque(maxlen=100)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DeviceCloud(users={sorted(self.config.users)})"

    # time
    def now(self) -> datetime:
        return self._wall() + self._offset

    def advance_clock(self, seconds: float) -> datetime:
        """Move the clock forward (`OverflowError`, and no change, past the year 9999)."""
        offset = self._offset + timedelta(seconds=seconds)
        now = self._wall() + offset  # raises before anything is kept
        self._offset = offset
        return now

    # users
    def check_password(self, username: str, password: str) -> bool:
        expected = self.config.users.get(username)
        return expected is not None and secrets.compare_digest(password.encode(), expected.encode())

    def check_token(self, access_token: str) -> TokenCheck:
        """VALID (and whose), EXPIRED or INVALID: the device cloud's own check, for CallableValidator."""
        check = self.oauth.check(access_token)
        if check.valid and check.subject not in self.config.users:
            return TokenCheck.invalid()  # the account was closed after the token was issued
        return check

    # lights
    def lights(self, user: str) -> list[Light]:
        with self._lock:
            return list(self._user_lights(user).values())

    def light(self, user: str, light_id: str) -> Light:
        with self._lock:
            found = self._user_lights(user).get(light_id)
        if found is None:
            raise UnknownLight(light_id)
        return found

    def update_light(self, user: str, light_id: str, changes: Mapping[str, Any]) -> tuple[Light, Light]:
        """Apply changes (LightValueError if invalid); returns (before, after)."""
        with self._lock:
            lights = self._user_lights(user)
            before = lights.get(light_id)
            if before is None:
                raise UnknownLight(light_id)
            after = lights[light_id] = apply_changes(before, changes)
        return before, after

    def _user_lights(self, user: str) -> dict[str, Light]:
        return self._lights.setdefault(user, seed_lights())

    # Alexa
    def set_alexa_credentials(self, client_id: str, client_secret: str) -> None:
        """The skill's Alexa credentials (Skill Credentials `skillMessagingCredentials`)."""
        self.config.alexa_client_id = client_id
        self.config.alexa_client_secret = client_secret

    def save_event_tokens(self, user: str, tokens: GrantTokens, region: str | None = None) -> None:
        """Keep the user's event tokens; `region` is that of the skill endpoint the AcceptGrant
        came to (its events go to that region's gateway; None: the default endpoint's)."""
        with self._lock:
            self._event_tokens[user] = tokens
            self._event_regions[user] = region

    def event_region(self, user: str) -> str | None:
        with self._lock:
            return self._event_regions.get(user)

    def events_base_url(self, user: str) -> str:
        """The gateway for the user's events: their region's, else the default one."""
        region = self.event_region(user)
        urls = self.config.events_base_urls
        return urls.get(region, self.config.events_base_url) if region else self.config.events_base_url

    def event_tokens(self, user: str) -> GrantTokens | None:
        with self._lock:
            return self._event_tokens.get(user)

    def event_client(self, user: str) -> EventGatewayClient | None:
        """A gateway client for the user, when AcceptGrant left tokens and credentials are set."""
        tokens = self.event_tokens(user)
        region = self.event_region(user)
        client_id, secret = self.config.alexa_client_id, self.config.alexa_client_secret
        if tokens is None or not client_id or not secret:
            return None
        return EventGatewayClient(
            tokens,
            client_id,
            secret,
            base_url=self.events_base_url(user),
            lwa_base_url=self.config.lwa_base_url,
            on_refresh=lambda fresh: self.save_event_tokens(user, fresh, region),
            now=self.now,
        )

    async def report_change(
        self, user: str, before: Light, after: Light, cause: CauseType
    ) -> SentEvent | None:
        """Send a ChangeReport for what changed, when the user's Alexa link allows it."""
        client = self.event_client(user) if self.config.send_change_reports else None
        if client is None:
            return None
        old = {(p["namespace"], p["name"]): p["value"] for p in light_properties(before)}
        props = light_properties(after)
        changed = [p for p in props if old.get((p["namespace"], p["name"])) != p["value"]]
        if not changed:
            return None
        unchanged = [p for p in props if p not in changed]
        event = change_report(after.id, changed, unchanged, cause=cause)
        try:
            receipt = await client.send(event)
            outcome = SentEvent(user, after.id, receipt.status)
        except EventGatewayError as error:
            log.warning("ChangeReport for %s not accepted: %s", after.id, error)
            outcome = SentEvent(user, after.id, error.status, error.code)
        except GrantExchangeError as error:
            log.warning("ChangeReport for %s not sent, token refresh failed: %s", after.id, error)
            outcome = SentEvent(user, after.id, None, error.error)
        self.sent_events.append(outcome)
        return outcome
