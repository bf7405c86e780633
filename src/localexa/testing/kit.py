"""`Localexa`: what the `localexa` pytest fixture hands a test — a running server, a ready client,
and helpers that make the accounts a test needs through the admin API (shared/spec/admin-api.md).

    def test_my_app(localexa):
        skill = localexa.create_skill(account_linking=True)     # developer + vendor + skill
        customer = localexa.create_customer(region="EU")
        token = localexa.access_token(customer, "alexa::skills:account_linking")
        ...                                                       # your code, pointed at localexa.url
        localexa.advance_clock(3601)                              # the token has expired now

Outside pytest: `with LocalexaServer() as server, Localexa(server) as localexa: ...`.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Unpack

from localexa.client import AsyncClient, Client
from localexa.client.types import CustomerEnablement, LwaClient, Stage, TokenResponse
from localexa.client.types.admin import RegionName
from localexa.testing.clients import AsyncClientOptions
from localexa.testing.linking import DEFAULT_REDIRECT_URI, AccountLinkingStub
from localexa.testing.server import LocalexaServer


class Unset(enum.Enum):
    """An argument the caller did not give (where None means something of its own)."""

    UNSET = enum.auto()


UNSET = Unset.UNSET

__all__ = ["Localexa", "TestCustomer", "TestDeveloper", "TestSkill"]

SKILLS_READWRITE = "alexa::ask:skills:readwrite"
ACCOUNT_LINKING = "alexa::skills:account_linking"
ASYNC_EVENTS = "alexa::async_event:write"
THREAD_CREDENTIALS = "alexa::thread_network_credentials:read"
#: A skill endpoint nothing listens on (port 9, discard): linking works, directives fail fast.
NO_ENDPOINT = "http://127.0.0.1:9/skill"


def _expect(value: object, kind: type, name: str, made_by: str) -> None:
    """A clear TypeError for a misused helper (not an AttributeError deep inside)."""
    if not isinstance(value, kind):
        raise TypeError(
            f"{name} must be a {kind.__name__} from {made_by}; got {type(value).__name__} {value!r}"
        )


def _strings(value: Sequence[str], name: str, example: str) -> Sequence[str]:
    """A list of strings; a bare string (`scopes="profile"`) would be taken as its characters."""
    if isinstance(value, str):
        raise TypeError(
            f"{name} must be a list of strings, e.g. {name}=[{example!r}]; got the string {value!r}"
        )
    return value


@dataclass(frozen=True)
class TestCustomer:
    """An Amazon account; `email` and `password` sign in at the LWA login page."""

    __test__ = False  # not a pytest test class

    user_id: str
    name: str
    email: str
    password: str = field(repr=False)
    region: str


@dataclass(frozen=True)
class TestDeveloper:
    """A customer who owns a vendor, with an LWA token for SMAPI (skill enablement, credentials)."""

    __test__ = False

    customer: TestCustomer
    vendor_id: str
    token: str = field(repr=False)

    @property
    def user_id(self) -> str:
        return self.customer.user_id


@dataclass(frozen=True)
class TestSkill:
    """A skill; with `account_linking=True` its token endpoint is the kit's stub, so
    `auth_code()` gives codes that enable-and-link accepts.

    `alexa_client_id` and `alexa_client_secret` are the skill's Alexa client for app-to-app
    account linking (the LWA client your app sends the customer to /ap/oa with, scope
    `alexa::skills:account_linking`; its redirect URIs are the skill's redirectUrls)."""

    __test__ = False

    skill_id: str
    developer: TestDeveloper
    messaging_client_id: str
    messaging_client_secret: str = field(repr=False)
    redirect_uri: str = DEFAULT_REDIRECT_URI
    stub: AccountLinkingStub | None = field(default=None, repr=False)
    #: None from a localexa older than skills' Alexa clients.
    alexa_client_id: str | None = None
    alexa_client_secret: str | None = field(default=None, repr=False)

    def auth_code(self) -> str:
        """A one-time code from the skill's (stub) OAuth server, for `redirect_uri`."""
        if self.stub is None:
            raise RuntimeError("create the skill with account_linking=True to get codes from the stub")
        return self.stub.issue_code(self.redirect_uri)


class Localexa:
    """A server, a client with its admin key (`client`), and factories for test accounts."""

    def __init__(self, server: LocalexaServer) -> None:
        self.server = server
        self._connections = server.client()
        #: Shares `_connections` without owning them: a test's `with localexa.client:` (the
        #: pattern `server.client()` is used with) closes nothing the next test needs.
        self.client: Client = self._connections.with_options()
        #: The plugin's session kit: `close()` from a test (`with localexa:`) is a no-op.
        self._shared = False
        self._stub: AccountLinkingStub | None = None
        self._app_client: LwaClient | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def admin_key(self) -> str:
        return self.server.admin_key

    @property
    def ca_file(self) -> Path | None:
        return self.server.ca_file

    def async_client(self, **options: Unpack[AsyncClientOptions]) -> AsyncClient:
        """An AsyncClient for this server with the admin key (use it with `async with`); the
        options are `AsyncClient`'s but `base_url`, `endpoints` and `ca_file`."""
        return self.server.async_client(**options)

    def client_for(self, token: str) -> Client:
        """The kit's client, sending `token` on the Alexa APIs."""
        return self.client.with_options(auth=token)

    # -- accounts --------------------------------------------------------------------------------

    def create_customer(
        self,
        *,
        name: str = "Test Customer",
        email: str | None = None,
        password: str = "password",  # noqa: S107 - a throw-away test account's
        region: RegionName = "NA",
    ) -> TestCustomer:
        email = email or f"customer-{secrets.token_hex(5)}@example.com"
        created = self.client.admin.customers.create(
            name=name,
            email=email,
            password=password,
            region=region,
        )
        # The region as the server stores it (`"fe"` is FE): the one given kept its case.
        return TestCustomer(created.user_id, name, email, password, created.region or region.upper())

    def create_lwa_client(
        self, *, name: str = "Test App", redirect_uris: Sequence[str] = ("https://app.example.com/cb",)
    ) -> LwaClient:
        """An LWA client (security profile); `client_secret` is only known from this answer."""
        _strings(redirect_uris, "redirect_uris", "https://app.example.com/cb")
        return self.client.admin.lwa_clients.create(name=name, redirect_uris=redirect_uris)

    def create_tokens(
        self, customer: TestCustomer | str, scopes: Sequence[str], *, client_id: str | None = None
    ) -> TokenResponse:
        """The token pair LWA issues `client_id` (default: the kit's own app) after consent."""
        _strings(scopes, "scopes", "profile")
        user_id = customer if isinstance(customer, str) else customer.user_id
        if client_id is None:
            if self._app_client is None:
                self._app_client = self.create_lwa_client(name="localexa testing kit")
            client_id = self._app_client.client_id
        return self.client.admin.tokens.create(client_id=client_id, user_id=user_id, scopes=scopes)

    def access_token(self, customer: TestCustomer | str, *scopes: str, client_id: str | None = None) -> str:
        """An access token of the customer with `scopes` (e.g. `alexa::skills:account_linking`)."""
        return self.create_tokens(customer, scopes or ("profile",), client_id=client_id).access_token

    def create_developer(self, *, name: str = "Test Developer", region: RegionName = "NA") -> TestDeveloper:
        """A customer, a vendor they own, and their SMAPI token (`alexa::ask:skills:readwrite`)."""
        customer = self.create_customer(name=name, region=region)
        vendor = self.client.admin.vendors.create(name=f"{name}'s vendor", owner_user_id=customer.user_id)
        return TestDeveloper(customer, vendor.vendor_id, self.access_token(customer, SKILLS_READWRITE))

    def create_skill(
        self,
        *,
        developer: TestDeveloper | None = None,
        name: str = "Test Skill",
        endpoint: str = NO_ENDPOINT,
        stages: Sequence[str] = ("development",),
        permissions: Sequence[str] = (ASYNC_EVENTS, THREAD_CREDENTIALS),
        account_linking: bool | Mapping[str, Any] = False,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
        regional_endpoints: Mapping[str, str] | None = None,
    ) -> TestSkill:
        """A smart home skill (and a developer that owns it, unless given).

        `account_linking=True` points the skill's token endpoint at the kit's stub (linking.py);
        a mapping is used as the `accountLinking` object itself (your own OAuth server).
        `regional_endpoints` (`{"EU": url}`) sends directives for customers of those regions there."""
        if developer is not None:
            _expect(developer, TestDeveloper, "developer", "create_developer()")
        _strings(stages, "stages", "development")
        _strings(permissions, "permissions", ASYNC_EVENTS)
        developer = developer or self.create_developer()
        stub: AccountLinkingStub | None = None
        linking: Mapping[str, Any] | None = None
        if account_linking is True:
            stub = self.linking_stub()
            linking = stub.account_linking(redirect_uri)
        elif isinstance(account_linking, Mapping):
            linking = account_linking
        created = self.client.admin.skills.create(
            vendor_id=developer.vendor_id,
            name=name,
            endpoint=endpoint,
            stages=stages,
            permissions=permissions,
            account_linking=linking,
            regional_endpoints=regional_endpoints,
        )
        messaging, alexa = created.skill_messaging_credentials, created.alexa_client_credentials
        return TestSkill(
            skill_id=created.skill_id,
            developer=developer,
            messaging_client_id=messaging.client_id,
            messaging_client_secret=messaging.client_secret,
            redirect_uri=redirect_uri,
            stub=stub,
            alexa_client_id=alexa.client_id if alexa is not None else None,
            alexa_client_secret=alexa.client_secret if alexa is not None else None,
        )

    def link(
        self, customer: TestCustomer, skill: TestSkill, *, stage: Stage = "development"
    ) -> CustomerEnablement:
        """Enable the skill for the customer and link the account, as an app would (the skill
        needs `account_linking=True`)."""
        _expect(customer, TestCustomer, "customer", "create_customer()")
        _expect(skill, TestSkill, "skill", "create_skill()")
        if skill.stub is None:  # before any call: a refused link() leaves no token behind
            raise RuntimeError(
                f"link() needs a skill made with create_skill(account_linking=True), whose token "
                f"endpoint is the kit's stub; {skill.skill_id} has none or your own accountLinking "
                f"(link it with client.customer_enablement.enable_and_link and your server's code)"
            )
        # The customer's token from the skill's own Alexa client, as on Amazon (the kit's app
        # client where the server has none).
        token = self.access_token(customer, ACCOUNT_LINKING, client_id=skill.alexa_client_id)
        return self.client.customer_enablement.enable_and_link(
            skill.skill_id,
            auth_code=skill.auth_code(),
            redirect_uri=skill.redirect_uri,
            stage=stage,
            token=token,
        )

    def event_token(self, customer: TestCustomer, skill: TestSkill) -> str:
        """The customer's event token for the skill (its messaging client): what the AcceptGrant
        exchange yields, for `/v3/events` and the Credential Locker."""
        _expect(customer, TestCustomer, "customer", "create_customer()")
        _expect(skill, TestSkill, "skill", "create_skill()")
        return self.access_token(customer, ASYNC_EVENTS, client_id=skill.messaging_client_id)

    def linking_stub(self) -> AccountLinkingStub:
        """The kit's stand-in for skills' OAuth token endpoints (started on first use)."""
        if self._stub is None:
            self._stub = AccountLinkingStub().start()
        return self._stub

    # -- time, faults, state ---------------------------------------------------------------------

    def advance_clock(self, seconds: float) -> datetime:
        """Move the server's clock forward: LWA codes expire after 300 s, access tokens after 3600 s
        (the stub OAuth server's codes, `skill.auth_code()`, are not on localexa's clock)."""
        return self.client.admin.clock.advance(seconds).now

    def fault(
        self,
        path: str,
        status: int | Unset | None = UNSET,
        *,
        method: str | None = None,
        delay_ms: int | None = None,
        probability: float | None = None,
        count: int | None = None,
        retry_after: int | None = None,
        customer: str | None = None,
        skill: str | None = None,
        region: RegionName | None = None,
        seed: int | None = None,
    ) -> str:
        """Make matching calls fail or slow down (`count=`, `probability=`, `method=`,
        `delay_ms=` …, as `client.admin.faults.create`); returns the fault id.

        Without `status`, the calls fail with 503, unless `delay_ms` is given: then they are only
        delayed and go through, as the admin API does with a fault that has no status (a kit
        that turned `fault(path, delay_ms=500)` into a 503 after half a second surprised every
        test that wanted latency). `status=` with `delay_ms=` delays, then fails."""
        if isinstance(status, Unset):
            status = None if delay_ms else 503
        created = self.client.admin.faults.create(
            path=path,
            status=status,
            method=method,
            delay_ms=delay_ms,
            probability=probability,
            count=count,
            retry_after=retry_after,
            customer=customer,
            skill=skill,
            region=region,
            seed=seed,
        )
        return created.fault_id

    def reset(self) -> None:
        """Empty every table; the clock goes back to the wall clock; the linking stub forgets its
        codes, tokens and exchanges (a test reads only its own `stub.exchanges`)."""
        self.client.admin.reset()
        self._app_client = None
        if self._stub is not None:
            self._stub.forget()

    def close(self) -> None:
        """Close the client and stop the linking stub (not the server). On the `localexa`
        fixture's kit it does nothing: the session closes it after the last test."""
        if self._shared:
            return
        self._close()

    def _close(self) -> None:
        self._connections.close()
        if self._stub is not None:
            self._stub.stop()
            self._stub = None

    def __enter__(self) -> Localexa:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Localexa(url={self.url!r})"
