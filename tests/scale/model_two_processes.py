"""A small model of one localexa, and random batches of concurrent calls to check two processes by.

The model covers only what the batches touch: one developer (who is also the customer), one skill
with account linking (My Lights), its messaging client's refresh tokens for that customer, the
Thread networks of one extended PAN ID, localexa's clock offset and a reset. Tokens are named by
keys (`app`, `msg`, `acc3`, `r0`, ...); `World` holds their values.

A batch's answers are explained by a serial order when applying the operations in that order to
the model (`Op.apply`) accepts every answer. The model never guesses a value it cannot know (a new
`user.id`): it learns it from the first answer that shows it, so a later answer must repeat it.
Several states may explain what was seen (a mint and a revocation in either order); they are all
kept until a later read tells them apart.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from localexa.server.lwa.expired import EXPIRED_GRACE
from tests.scale.processes import ServerProcess

THREAD_PERMISSION = "alexa::thread_network_credentials:read"
READWRITE = "alexa::ask:skills:readwrite"
ACCOUNT_LINKING = "alexa::skills:account_linking"
STAGES = ("development", "live")
NETWORK_NAMES = ("Home", "Cabin")
EXTENDED_PAN_ID = "dead00beef00cafe"
LOCKER = "/credentiallocker/v2/threadNetworks"
TOKEN_URL = "/auth/o2/token"
#: LWA access tokens live an hour; each advance is half of it, so the second one ends a token.
TOKEN_LIFETIME = 3600
ADVANCE = 1800
#: An access token this long past its expiry is deleted by the advance that takes it there
#: (lwa/expired.py): then it is an unknown token.
SWEPT_AFTER = TOKEN_LIFETIME + int(EXPIRED_GRACE.total_seconds())
#: Re-mint a token this long (wall clock) after it was issued, so wall time never adds up to an
#: advance (a token one advance old has 1800 s left, far more than this).
REMINT_AFTER = 600.0
#: How far localexa's `now` may be from the wall clock plus the model's offset (slow machine).
CLOCK_SLACK = 60.0


# -- the model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enabled:
    stage: str
    link: str  # LINKED | NOT_LINKED
    #: The enablement's `user.id`, once an answer has shown it.
    user_id: str | None = None


@dataclass(frozen=True)
class State:
    enabled: Enabled | None = None
    networks: tuple[str, ...] = ()
    #: Refresh-token keys that work; a key known to the harness but not here is revoked.
    live_refresh: frozenset[str] = frozenset()
    #: Access-token key → the clock offset it was issued at.
    access: tuple[tuple[str, int], ...] = ()
    offset: int = 0
    #: A reset has emptied everything (the batch's world is gone).
    gone: bool = False
    #: `msg`'s grant was ended by a disable since it was issued: the Credential Locker refuses
    #: it (403) while the skill stays disabled (README "Who may call").
    msg_grant_ended: bool = False

    def token(self, key: str) -> str:
        """live, expired or invalid (unknown, or swept a day after it expired), by the model's clock."""
        issued = dict(self.access).get(key)
        if self.gone or issued is None or self.offset - issued >= SWEPT_AFTER:
            return "invalid"
        return "expired" if self.offset - issued >= TOKEN_LIFETIME else "live"

    def with_access(self, key: str) -> State:
        access = (*((k, v) for k, v in self.access if k != key), (key, self.offset))
        if key == "msg":  # a new grant
            return dataclasses.replace(self, access=access, msg_grant_ended=False)
        return dataclasses.replace(self, access=access)

    def keep_only(self, access_keys: Iterable[str], refresh_keys: Iterable[str]) -> State:
        wanted, live = set(access_keys), set(refresh_keys)
        return dataclasses.replace(
            self,
            access=tuple((k, v) for k, v in self.access if k in wanted),
            live_refresh=frozenset(k for k in self.live_refresh if k in live),
        )


def _revoked(state: State) -> State:
    """Disabling the skill for the customer ends its messaging client's refresh tokens (spec §4)."""
    return dataclasses.replace(state, enabled=None, live_refresh=frozenset(), msg_grant_ended=True)


# -- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    text: str

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        return cls(response.status_code, body, response.text)


def _keys(answer: Answer, *keys: str) -> bool:
    return isinstance(answer.body, dict) and set(answer.body) == set(keys)


def smapi_error(answer: Answer, status: int, code: str | None = None) -> bool:
    """SMAPI's `{"code", "message"}` (a 400 or 403 may add `violations`)."""
    body = answer.body
    if answer.status != status or not isinstance(body, dict):
        return False
    if not {"code", "message"} <= set(body) <= {"code", "message", "violations"}:
        return False
    return code is None or body["code"] == code


def customer_error(answer: Answer, status: int) -> bool:
    """The customer enablement API's `{"message"}`."""
    return answer.status == status and _keys(answer, "message") and isinstance(answer.body["message"], str)


def oauth_error(answer: Answer, status: int, error: str) -> bool:
    body = answer.body
    return (
        answer.status == status
        and isinstance(body, dict)
        and body.get("error") == error
        and set(body) <= {"error", "error_description"}
    )


def _token_refused(
    state: State, key: str, answer: Answer, shape: Callable[[Answer, int], bool]
) -> bool | None:
    """None when the token is live (the call goes on); else whether `answer` is its refusal.
    After a reset in the same batch a call may also have begun before it and found its customer
    or skill deleted while it ran: a 404, and nothing stored (README "Several processes")."""
    status = state.token(key)
    if status == "live":
        return None
    if state.gone:
        return shape(answer, 401) or shape(answer, 404)
    return shape(answer, 401)


def _smapi_shape(code: str | None) -> Callable[[Answer, int], bool]:
    return lambda answer, status: smapi_error(answer, status, code if status == 401 else None)


# -- operations ---------------------------------------------------------------------------------


@dataclass
class Op:
    """One call: `request` is (method, path, httpx kwargs); `apply` checks its answer against a
    state and returns the state after it, or None when the state cannot explain the answer."""

    name: str
    server: int
    method: str
    path: str
    kwargs: dict[str, Any]
    apply: Callable[[State, Answer], State | None]
    answer: Answer | None = None
    #: A refresh's key for the access token it gets; a mint's for the refresh token.
    new_key: str | None = None

    def __repr__(self) -> str:
        where = "AB"[self.server]
        seen = "" if self.answer is None else f" -> {self.answer.status} {self.answer.text[:160]}"
        return f"{self.name}@{where}{seen}"


@dataclass
class World:
    """What one seeding made: ids, secrets and token values by key."""

    developer: str
    skill_id: str
    messaging_client: str
    messaging_secret: str
    tokens: dict[str, str] = field(default_factory=dict)
    #: When (monotonic) each token key was issued, for REMINT_AFTER.
    minted_at: dict[str, float] = field(default_factory=dict)
    #: The refresh-token keys the harness still uses, newest last.
    refresh_keys: list[str] = field(default_factory=list)

    def bearer(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[key]}"}


def seed(server: ServerProcess, account_linking: dict[str, Any]) -> World:
    """A developer who owns a vendor and a skill, an app token with the developer and customer
    scopes, and a messaging token pair for the developer (admin API, as other scale tests)."""
    email = f"dev-{secrets.token_hex(6)}@example.com"
    developer = server.admin("customers", {"name": "Dev", "email": email, "password": "pw", "region": "NA"})
    user_id = developer["userId"]
    vendor = server.admin("vendors", {"name": "Acme", "ownerUserId": user_id})["vendorId"]
    made = server.admin(
        "skills",
        {
            "vendorId": vendor,
            "name": "Model",
            "endpoint": "http://127.0.0.1:9/skill",
            "permissions": [THREAD_PERMISSION],
            "accountLinking": account_linking,
            "stages": list(STAGES),
        },
    )
    messaging = made["skillMessagingCredentials"]
    world = World(user_id, made["skillId"], messaging["clientId"], messaging["clientSecret"])
    app = server.admin("lwa-clients", {"name": "App", "redirectUris": ["https://app.example.com/cb"]})
    body = {"clientId": app["clientId"], "userId": user_id, "scopes": [READWRITE, ACCOUNT_LINKING]}
    world.tokens["app"] = server.admin("tokens", body)["access_token"]
    world.minted_at["app"] = time.monotonic()
    world.tokens["appClient"] = app["clientId"]
    mint_messaging(server, world, "msg", "r0")
    return world


def mint_messaging(server: ServerProcess, world: World, access_key: str, refresh_key: str | None) -> None:
    body = {
        "clientId": world.messaging_client,
        "userId": world.developer,
        "scopes": ["alexa::async_event:write"],
    }
    pair = server.admin("tokens", body)
    world.tokens[access_key] = pair["access_token"]
    world.minted_at[access_key] = time.monotonic()
    if refresh_key is not None:
        world.tokens[refresh_key] = pair["refresh_token"]
        world.refresh_keys.append(refresh_key)


def remint_app_token(server: ServerProcess, world: World) -> None:
    body = {
        "clientId": world.tokens["appClient"],
        "userId": world.developer,
        "scopes": [READWRITE, ACCOUNT_LINKING],
    }
    world.tokens["app"] = server.admin("tokens", body)["access_token"]
    world.minted_at["app"] = time.monotonic()


# The operations: each builds its request and the function that judges its answer.


def dev_put(stage: str) -> tuple[str, str, Callable[[State, Answer], State | None]]:
    def apply(state: State, answer: Answer) -> State | None:
        refused = _token_refused(state, "app", answer, _smapi_shape(_expiry_code(state, "app")))
        if refused is not None:
            return state if refused else None
        if answer.status != 204 or answer.body is not None:
            return None
        if state.enabled is not None and state.enabled.stage == stage:
            return state
        after = _revoked(state) if state.enabled is not None else state
        return dataclasses.replace(after, enabled=Enabled(stage, "NOT_LINKED"))

    return "PUT", f"/v1/skills/{{skill}}/stages/{stage}/enablement", apply


def dev_get(stage: str) -> tuple[str, str, Callable[[State, Answer], State | None]]:
    def apply(state: State, answer: Answer) -> State | None:
        refused = _token_refused(state, "app", answer, _smapi_shape(_expiry_code(state, "app")))
        if refused is not None:
            return state if refused else None
        if state.enabled is not None and state.enabled.stage == stage:
            return state if answer.status == 204 and answer.body is None else None
        return state if smapi_error(answer, 404, "NOT_FOUND") else None

    return "GET", f"/v1/skills/{{skill}}/stages/{stage}/enablement", apply


def dev_delete(stage: str) -> tuple[str, str, Callable[[State, Answer], State | None]]:
    def apply(state: State, answer: Answer) -> State | None:
        refused = _token_refused(state, "app", answer, _smapi_shape(_expiry_code(state, "app")))
        if refused is not None:
            return state if refused else None
        if state.enabled is not None and state.enabled.stage == stage:
            return _revoked(state) if answer.status == 204 and answer.body is None else None
        return state if smapi_error(answer, 404, "NOT_FOUND") else None

    return "DELETE", f"/v1/skills/{{skill}}/stages/{stage}/enablement", apply


def _expiry_code(state: State, key: str) -> str:
    return "EXPIRED_TOKEN" if state.token(key) == "expired" else "INVALID_TOKEN"


def _status_body(answer: Answer, skill_id: str, stage: str, link: str) -> str | None:
    """The user id of a customer enablement answer of this stage and link, or None."""
    body = answer.body
    if not _keys(answer, "skill", "user", "accountLink", "status"):
        return None
    if body["skill"] != {"id": skill_id, "stage": stage} or body["accountLink"] != {"status": link}:
        return None
    if body["status"] != "ENABLED" or set(body["user"]) != {"id"}:
        return None
    user_id = body["user"]["id"]
    return user_id if isinstance(user_id, str) and user_id.startswith("amzn1.ask.account.") else None


def _learn(enabled: Enabled, user_id: str) -> Enabled | None:
    """`enabled` with its user id now known; None when a known one differs."""
    if enabled.user_id is not None and enabled.user_id != user_id:
        return None
    return dataclasses.replace(enabled, user_id=user_id)


def cust_post(stage: str, skill_id: str) -> tuple[str, str, Callable[[State, Answer], State | None]]:
    def apply(state: State, answer: Answer) -> State | None:
        refused = _token_refused(state, "app", answer, customer_error)
        if refused is not None:
            return state if refused else None
        current = state.enabled
        if current is not None and current.link == "LINKED":
            return state if customer_error(answer, 409) else None
        if answer.status != 201:
            return None
        user_id = _status_body(answer, skill_id, stage, "LINKED")
        if user_id is None:
            return None
        if current is not None and current.stage == stage:  # links it and keeps its user id
            linked = _learn(dataclasses.replace(current, link="LINKED"), user_id)
            return None if linked is None else dataclasses.replace(state, enabled=linked)
        if current is not None and current.user_id == user_id:
            return None  # another stage is a new enablement: a new user id
        after = _revoked(state) if current is not None else state
        return dataclasses.replace(after, enabled=Enabled(stage, "LINKED", user_id))

    return "POST", "/v1/users/~current/skills/{skill}/enablement", apply


def cust_get(skill_id: str) -> tuple[str, str, Callable[[State, Answer], State | None]]:
    def apply(state: State, answer: Answer) -> State | None:
        refused = _token_refused(state, "app", answer, customer_error)
        if refused is not None:
            return state if refused else None
        current = state.enabled
        if current is None:
            return state if customer_error(answer, 404) else None
        user_id = (
            _status_body(answer, skill_id, current.stage, current.link) if answer.status == 200 else None
        )
        learned = None if user_id is None else _learn(current, user_id)
        return None if learned is None else dataclasses.replace(state, enabled=learned)

    return "GET", "/v1/users/~current/skills/{skill}/enablement", apply


def cust_delete() -> tuple[str, str, Callable[[State, Answer], State | None]]:
    def apply(state: State, answer: Answer) -> State | None:
        refused = _token_refused(state, "app", answer, customer_error)
        if refused is not None:
            return state if refused else None
        if state.enabled is None:
            return state if customer_error(answer, 404) else None
        return _revoked(state) if answer.status == 200 and not answer.text else None

    return "DELETE", "/v1/users/~current/skills/{skill}/enablement", apply


def locker_put(name: str, token_key: str) -> Callable[[State, Answer], State | None]:
    def apply(state: State, answer: Answer) -> State | None:
        refused = _token_refused(state, token_key, answer, _locker_shape(_expiry_code(state, token_key)))
        if refused is not None:
            return state if refused else None
        if token_key == "app":  # not a skill's messaging client
            return state if smapi_error(answer, 403) else None
        if _grant_ended(state, token_key):
            return state if smapi_error(answer, 403, "FORBIDDEN") else None
        if name in state.networks:
            return state if smapi_error(answer, 409, "ALREADY_EXISTS") else None
        if answer.status != 200 or answer.text:
            return None
        return dataclasses.replace(state, networks=(*state.networks, name))

    return apply


def _grant_ended(state: State, token_key: str) -> bool:
    return token_key == "msg" and state.msg_grant_ended and state.enabled is None


def _locker_shape(code: str) -> Callable[[Answer, int], bool]:
    return lambda answer, status: smapi_error(answer, status, code if status == 401 else None)


def locker_get(token_key: str) -> Callable[[State, Answer], State | None]:
    def apply(state: State, answer: Answer) -> State | None:
        refused = _token_refused(state, token_key, answer, _locker_shape(_expiry_code(state, token_key)))
        if refused is not None:
            return state if refused else None
        if _grant_ended(state, token_key):
            return state if smapi_error(answer, 403, "FORBIDDEN") else None
        if answer.status != 200 or not _keys(answer, "threadNetworks"):
            return None
        names = tuple(n.get("networkName") for n in answer.body["threadNetworks"])
        networks = answer.body["threadNetworks"]
        if any(
            n.get("extendedPanId") != EXTENDED_PAN_ID
            or n.get("networkKey") != network_key(n.get("networkName", ""))
            for n in networks
        ):
            return None
        return state if names == state.networks else None

    return apply


def network_key(name: str) -> str:
    return (name.encode().hex() * 16)[:32]


def network_body(name: str) -> dict[str, Any]:
    network = {"extendedPanId": EXTENDED_PAN_ID, "networkName": name, "networkKey": network_key(name)}
    return {"threadNetwork": network}


def refresh(
    refresh_key: str, refresh_value: str, new_access_key: str
) -> Callable[[State, Answer], State | None]:
    def apply(state: State, answer: Answer) -> State | None:
        if state.gone:  # the messaging client went with the reset
            return state if oauth_error(answer, 401, "invalid_client") else None
        if refresh_key not in state.live_refresh:
            return state if oauth_error(answer, 400, "invalid_grant") else None
        body = answer.body
        if answer.status != 200 or not _keys(
            answer, "access_token", "refresh_token", "token_type", "expires_in"
        ):
            return None
        if body["refresh_token"] != refresh_value or body["expires_in"] != TOKEN_LIFETIME:
            return None  # LWA gives the same refresh token back
        if not str(body["access_token"]).startswith("Atza|") or body["token_type"] != "bearer":
            return None
        return state.with_access(new_access_key)

    return apply


def mint(new_refresh_key: str) -> Callable[[State, Answer], State | None]:
    def apply(state: State, answer: Answer) -> State | None:
        if state.gone:  # the client is gone (400), or went while the call ran (404)
            return state if answer.status in (400, 404) and _keys(answer, "message") else None
        if answer.status != 201 or not isinstance(answer.body, dict):
            return None
        if not str(answer.body.get("refresh_token", "")).startswith("Atzr|"):
            return None
        return dataclasses.replace(state, live_refresh=state.live_refresh | {new_refresh_key})

    return apply


def _now_matches(answer: Answer, offset: int, sent_at: float, answered_at: float) -> bool:
    """`now` is the wall clock (while the call was under way) plus the offset."""
    body = answer.body
    if not isinstance(body, dict) or not isinstance(body.get("now"), str):
        return False
    now = datetime.fromisoformat(body["now"].replace("Z", "+00:00")).timestamp()
    return sent_at - CLOCK_SLACK <= now - offset <= answered_at + CLOCK_SLACK


def advance(timing: list[float]) -> Callable[[State, Answer], State | None]:
    """An advance answers the time its own UPDATE made (core/clock.py `Clock.advance`), whatever
    the other advances or the reset of the batch did after it (before the fix it answered the
    clock read back after its commit, which another advance may already have moved)."""

    def apply(state: State, answer: Answer) -> State | None:
        if answer.status != 200 or not _keys(answer, "now"):
            return None
        moved = dataclasses.replace(state, offset=state.offset + ADVANCE)
        return moved if _now_matches(answer, moved.offset, *timing) else None

    return apply


def reset(timing: list[float]) -> Callable[[State, Answer], State | None]:
    def apply(state: State, answer: Answer) -> State | None:
        if answer.status != 200 or not _keys(answer, "reset", "now") or answer.body["reset"] is not True:
            return None
        return State(gone=True) if _now_matches(answer, 0, *timing) else None

    return apply


def clock_read(timing: list[float]) -> Callable[[State, Answer], State | None]:
    def apply(state: State, answer: Answer) -> State | None:
        ok = answer.status == 200 and _keys(answer, "now") and _now_matches(answer, state.offset, *timing)
        return state if ok else None

    return apply


# -- building and judging batches ---------------------------------------------------------------


@dataclass
class Batch:
    ops: list[Op]
    #: [sent at, answered at] (wall clock, epoch seconds) of the whole batch, for clock answers.
    timing: list[float] = field(default_factory=lambda: [0.0, 0.0])


class Generator:
    """Random batches from a seeded random.Random: which operations, which process each."""

    WEIGHTS = {
        "dev_put": 4,
        "dev_get": 2,
        "dev_delete": 2,
        "cust_post": 4,
        "cust_get": 2,
        "cust_delete": 2,
        "locker_put": 4,
        "locker_get": 2,
        "locker_wrong_client": 1,
        "refresh": 4,
        "refresh_old": 1,
        "mint": 2,
        "advance": 1,
        "reset": 0.25,
    }

    def __init__(self, rng: random.Random, auth_code: Callable[[], str], redirect: str) -> None:
        self.rng = rng
        self.auth_code = auth_code
        self.redirect = redirect
        self.counter = itertools.count()

    def batch(self, world: World) -> Batch:
        size = self.rng.randint(2, 4)
        kinds = list(self.WEIGHTS)
        chosen = self.rng.choices(kinds, weights=[self.WEIGHTS[k] for k in kinds], k=size)
        if chosen.count("reset") > 1:
            chosen = [k for k in chosen if k != "reset"] + ["reset"]
        batch = Batch([])
        # Operations of a batch race on one thing more often than chance would make them.
        stage = self.rng.choice(STAGES)
        for kind in chosen:
            batch.ops.append(
                self.op(kind, world, stage if self.rng.random() < 0.7 else self.rng.choice(STAGES), batch)
            )
        return batch

    def op(self, kind: str, world: World, stage: str, batch: Batch) -> Op:
        server = self.rng.randrange(2)
        n = next(self.counter)
        skill = world.skill_id
        app = world.bearer("app")
        if kind in ("dev_put", "dev_get", "dev_delete", "cust_post", "cust_get", "cust_delete"):
            if kind == "dev_put":
                method, path, apply = dev_put(stage)
            elif kind == "dev_get":
                method, path, apply = dev_get(stage)
            elif kind == "dev_delete":
                method, path, apply = dev_delete(stage)
            elif kind == "cust_post":
                method, path, apply = cust_post(stage, skill)
            elif kind == "cust_get":
                method, path, apply = cust_get(skill)
            else:
                method, path, apply = cust_delete()
            kwargs: dict[str, Any] = {"headers": app}
            if kind == "cust_post":
                link = {"redirectUri": self.redirect, "authCode": self.auth_code(), "type": "AUTH_CODE"}
                kwargs["json"] = {"stage": stage, "accountLinkRequest": link}
            label = f"{kind}({stage})" if kind in ("dev_put", "dev_get", "dev_delete", "cust_post") else kind
            return Op(label, server, method, path.format(skill=skill), kwargs, apply)
        if kind in ("locker_put", "locker_wrong_client"):
            name = self.rng.choice(NETWORK_NAMES)
            key = "app" if kind == "locker_wrong_client" else "msg"
            kwargs = {"headers": world.bearer(key), "json": network_body(name)}
            return Op(f"locker_put({name},{key})", server, "PUT", LOCKER, kwargs, locker_put(name, key))
        if kind == "locker_get":
            kwargs = {"headers": world.bearer("msg"), "params": {"extendedPanId": EXTENDED_PAN_ID}}
            return Op("locker_get", server, "GET", LOCKER, kwargs, locker_get("msg"))
        if kind in ("refresh", "refresh_old"):
            keys = world.refresh_keys
            key = keys[-1] if kind == "refresh" or len(keys) < 2 else self.rng.choice(keys[:-1])
            data = {
                "grant_type": "refresh_token",
                "refresh_token": world.tokens[key],
                "client_id": world.messaging_client,
                "client_secret": world.messaging_secret,
            }
            apply = refresh(key, world.tokens[key], f"acc{n}")
            return Op(f"refresh({key})", server, "POST", TOKEN_URL, {"data": data}, apply, new_key=f"acc{n}")
        if kind == "mint":
            body = {
                "clientId": world.messaging_client,
                "userId": world.developer,
                "scopes": ["alexa::async_event:write"],
            }
            return Op(
                f"mint(r{n})",
                server,
                "POST",
                "/_localexa/tokens",
                {"json": body},
                mint(f"r{n}"),
                new_key=f"r{n}",
            )
        if kind == "advance":
            return Op(
                "advance",
                server,
                "POST",
                "/_localexa/clock",
                {"json": {"advanceSeconds": ADVANCE}},
                advance(batch.timing),
            )
        assert kind == "reset", kind
        return Op("reset", server, "POST", "/_localexa/reset", {}, reset(batch.timing))


def reads(world: World, timing: list[float]) -> list[Op]:
    """What the state is, read through each process (the clock first: it forces the re-read)."""
    ops: list[Op] = []
    skill = world.skill_id
    for server in (0, 1):
        ops.append(Op("clock", server, "GET", "/_localexa/clock", {}, clock_read(timing)))
    for server in (0, 1):
        for stage in STAGES:
            method, path, apply = dev_get(stage)
            ops.append(
                Op(
                    f"dev_get({stage})",
                    server,
                    method,
                    path.format(skill=skill),
                    {"headers": world.bearer("app")},
                    apply,
                )
            )
        method, path, apply = cust_get(skill)
        ops.append(
            Op("cust_get", server, method, path.format(skill=skill), {"headers": world.bearer("app")}, apply)
        )
        kwargs = {"headers": world.bearer("msg"), "params": {"extendedPanId": EXTENDED_PAN_ID}}
        ops.append(Op("locker_get", server, "GET", LOCKER, kwargs, locker_get("msg")))
    for n, key in enumerate(world.refresh_keys):
        data = {
            "grant_type": "refresh_token",
            "refresh_token": world.tokens[key],
            "client_id": world.messaging_client,
            "client_secret": world.messaging_secret,
        }
        ops.append(
            Op(
                f"refresh({key})",
                n % 2,
                "POST",
                TOKEN_URL,
                {"data": data},
                refresh(key, world.tokens[key], f"read{n}"),
            )
        )
    return ops


def explain(states: Sequence[State], ops: Sequence[Op], *, ordered: bool = False) -> list[State]:
    """Every state a serial order of `ops` (any order, or the given one) can end in from one of
    `states`, accepting every answer on the way; empty when nothing explains them."""
    ends: list[State] = []
    orders: Iterable[Sequence[Op]] = [ops] if ordered else itertools.permutations(ops)
    for order in orders:
        for start in states:
            end = _run(start, order)
            if end is not None and end not in ends:
                ends.append(end)
    return ends


def _run(start: State, order: Sequence[Op]) -> State | None:
    state = start
    for op in order:
        assert op.answer is not None
        after = op.apply(state, op.answer)
        if after is None:
            return None
        state = after
    return state


def describe(states: Sequence[State], ops: Sequence[Op]) -> str:
    lines = ["no serial order explains the answers:"]
    lines += [f"  {op!r}" for op in ops]
    lines += ["from any of the states:"] + [f"  {s}" for s in states]
    return "\n".join(lines)


def now_epoch() -> float:
    return datetime.now(UTC).timestamp()
