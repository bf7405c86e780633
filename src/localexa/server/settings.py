"""One settings object for the server, read from `LOCALEXA_*` variables and the CLI.

It is built once in `create_app` (never at import) and passed down; nothing reads the
environment anywhere else. Secrets that are not given are generated into the data directory on
first start, so a restart keeps every token and encrypted column readable.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: `client_timeout`'s bounds, as `localexa serve --client-timeout`'s: at most a day. `inf` was
#: taken by a server built in code (`create_app(Settings(...))`, which the CLI refused): a client
#: that paused its body for ever then kept such a server from ever timing it out.
CLIENT_TIMEOUT_BOUNDS = (0.1, 86_400.0)

#: `stop_grace`'s bounds, as `localexa serve --stop-grace`'s: a tenth of a second to ten minutes.
STOP_GRACE_BOUNDS = (0.1, 600.0)

#: What a client can send as the admin key: printable ASCII, no space at either end.
_SENDABLE_KEY = re.compile(r"[!-~](?:[ -~]*[!-~])?")


class Settings(BaseSettings):
    """Everything the server can be told. Field names map to `LOCALEXA_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="LOCALEXA_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(".localexa")
    database_url: str | None = None
    demo: bool = True
    tls: bool = False
    admin_key: SecretStr | None = None
    #: Keys for the keyed token hashes and for AES-GCM; generated into the data dir when unset.
    secret_key: SecretStr | None = None
    #: Redis for state shared by several processes (rate limits); memory when unset.
    redis_url: str | None = None
    #: Requests whose body is larger than this get 413 before any handler runs.
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    #: The cap of `POST /_localexa/restore` alone (admin key only): a snapshot of a modestly used
    #: server is larger than the 1 MiB every other route keeps. The larger of the two counts.
    max_restore_bytes: int = Field(default=64 * 1_048_576, gt=0)
    #: Per caller and operation, in the `limits` notation ("600/minute").
    rate_limit: str = "6000/minute"
    #: Sign-in attempts (`/ap/oa` per address and per account, the console's per address) and
    #: wrong admin keys (per address), on top of `rate_limit`: slow enough to make guessing a
    #: short password or LOCALEXA_ADMIN_KEY impractical, generous for a test suite's sign-ins.
    sign_in_rate_limit: str = "100/minute"
    #: CA bundle trusted for outbound HTTPS calls (skill token URLs, skill endpoints).
    outbound_ca_file: Path | None = None
    #: Seconds allowed for the account-linking token exchange (Amazon allows 4.5 s).
    token_exchange_timeout: float = Field(default=4.5, gt=0)
    #: Seconds allowed for a skill endpoint to answer a directive (Amazon allows 8 s).
    directive_timeout: float = Field(default=8.0, gt=0)
    #: Capability evaluation runs: the wall-clock lease a worker holds on a run (renewed every
    #: third of it), and the time one test case may take.
    #: At most a day, as the after-link lease: a lease of 1e12 s put its expiry past any date, and
    #: every run (or follow-up) failed with an OverflowError (re-verification of 2026-12-06).
    evaluation_lease_seconds: float = Field(default=30.0, gt=0, le=86_400)
    #: A day at most too: `inf` was taken, and a deferred answer that never came would hold its run
    #: (and its endpoint's 409) for ever.
    evaluation_case_timeout: float = Field(default=60.0, gt=0, le=86_400)
    #: After-link follow-ups: the wall-clock lease the process running one holds on it (renewed
    #: every third of it); once it runs out, another process (or the restart) takes it over
    #: (directives/after_link_leases.py). At least 1 s: renewals come every third of it.
    after_link_lease_seconds: float = Field(default=30.0, ge=1.0, le=86_400)
    #: Runs one process carries at once; more wait for a free slot (or another process).
    evaluation_concurrent_runs: int = Field(default=4, ge=1, le=64)
    #: Journal entries kept; older ones are deleted. At least 1 (-1 was taken and kept one entry)
    #: and at most 100 million (a larger one is past what a trim's OFFSET reads as a number on
    #: SQLite); a usage error otherwise, as every sibling setting (QA of 2026-12-06).
    journal_retention: int = Field(default=10_000, ge=1, le=100_000_000)
    #: Seconds a client has to send a request's head, may pause within its body (the request
    #: guard's 408), or may leave an answer unread (`--client-timeout`, cli/wire.py): 0.1 to a
    #: day (CLIENT_TIMEOUT_BOUNDS).
    client_timeout: float = 10.0
    #: Seconds a connection may stay silent between requests, or after it opens (`--idle-timeout`).
    idle_timeout: int = Field(default=5, ge=1)
    #: Seconds a stopping server gives a request still arriving and an answer left unread
    #: (`--stop-grace`, cli/wire_stop.py); unset: the client timeout, at most 5 s. At most ten
    #: minutes (STOP_GRACE_BOUNDS): a supervisor kills a server that takes longer.
    stop_grace: float | None = Field(default=None, ge=STOP_GRACE_BOUNDS[0], le=STOP_GRACE_BOUNDS[1])
    log_level: str = "info"
    #: Base URL of the public listener (used in printed hints and in demo seeding), and where
    #: clients reach each region when a proxy or port mapping stands in front (EU and FE: their
    #: own; `GET /v1/alexaApiEndpoint` names them).
    public_base_url: str | None = None
    eu_public_base_url: str | None = None
    fe_public_base_url: str | None = None
    #: Addresses of the proxies whose X-Forwarded-For and X-Forwarded-Proto are believed
    #: (comma-separated addresses or networks, or `*`); none by default (core/rate_limit.py).
    forwarded_allow_ips: str | None = None
    #: Ports of the EU and FE listeners; default port+1 and port+2.
    eu_port: int | None = Field(default=None, ge=1, le=65535)
    fe_port: int | None = Field(default=None, ge=1, le=65535)
    #: Port of the My Lights sample device cloud that demo mode runs beside the server (port+3).
    demo_port: int | None = Field(default=None, ge=1, le=65535)
    #: Password hashing cost (scrypt N); tests may lower it.
    #: A power of two from 1024 to 16384: scrypt takes no other, and past 16384 (r=8) it needs
    #: more than the 32 MiB OpenSSL allows; 1025 or 32768 started a server whose every password
    #: hash failed (since 2026-12-06 a usage error).
    password_hash_n: int = Field(default=2**14, ge=2**10, le=2**14)
    #: Stop when the process with this pid is no longer the parent (the testing kit sets it: a
    #: test run ended by SIGTERM or SIGKILL cannot stop its server, which would run on for ever).
    exit_with_parent: int | None = Field(default=None, gt=0)

    @field_validator("client_timeout")
    @classmethod
    def _client_timeout_in_bounds(cls, value: float) -> float:
        low, high = CLIENT_TIMEOUT_BOUNDS
        if not math.isfinite(value):
            raise ValueError(
                f"{value:g} is not a finite number: give {low:g} to {high:g} seconds (a day at most)"
            )
        if not low <= value <= high:
            raise ValueError(f"{value:g} is out of range: give {low:g} to {high:g} seconds (a day at most)")
        return value

    @field_validator("admin_key", "secret_key")
    @classmethod
    def _key_is_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        """`LOCALEXA_SECRET_KEY=` (empty, as a shell script with an unset variable writes it) ran
        the server on an empty key: every hash and seal keyed by nothing, and no key file written.
        Unset, localexa keeps a generated key in the data dir instead."""
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty: leave it unset and localexa keeps one in the data dir")
        return value

    @field_validator("admin_key")
    @classmethod
    def _admin_key_can_be_sent(cls, value: SecretStr | None) -> SecretStr | None:
        """A key no client can send was taken, and then every admin call was a 401: HTTP trims a
        header value's outer spaces, and curl sends `é` as UTF-8 where Starlette reads Latin-1."""
        if value is not None and not _SENDABLE_KEY.fullmatch(value.get_secret_value()):
            raise ValueError(
                "must be printable ASCII without spaces at either end, as it is sent in the "
                "X-Localexa-Admin-Key header"
            )
        return value

    @field_validator("public_base_url", "eu_public_base_url", "fe_public_base_url")
    @classmethod
    def _public_url_is_an_origin(cls, value: str | None) -> str | None:
        """http(s)://host[:port]: the address a client is given must be one it can use."""
        if value is None:
            return None
        try:
            parts = urlsplit(value.strip())
            port_ok = parts.port is None or parts.port > 0
        except ValueError:  # a port out of range or not a number, an unbalanced `[`
            parts, port_ok = urlsplit(""), False
        if parts.password is not None or "@" in parts.netloc:
            raise ValueError("must be scheme://host[:port] only: no user or password in it")
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            raise ValueError(
                f"{value!r} is not an http:// or https:// URL with a host (https://lx.example:8443)"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"{value!r} must be scheme://host[:port] only: no path, query or user")
        return value.strip()

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies_are_addresses(cls, value: str | None) -> str | None:
        """Each item an address or network (`*` for any): uvicorn took anything, and a typo trusted
        no proxy without a word."""
        if value is None:
            return None
        items = [item.strip() for item in value.split(",") if item.strip()]
        if not items:
            raise ValueError("names no proxy: leave it unset to believe none, or give addresses")
        for item in items:
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (127.0.0.1, 10.0.0.0/8, *)"
                ) from None
        return ",".join(items)

    @field_validator("password_hash_n")
    @classmethod
    def _hash_cost_is_a_power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError(f"{value} is not a power of two (scrypt's cost is one: 1024, 2048, … 16384)")
        return value

    @field_validator("rate_limit", "sign_in_rate_limit")
    @classmethod
    def _rate_limit_is_a_budget(cls, value: str) -> str:
        """Refused at start, not at the first call: `garbage` stopped the start with a bare
        ValueError, and `0/minute` started a server that refused every call with 429."""
        from limits import parse_many  # the server imports it anyway; the CLI's other commands not

        try:
            items = parse_many(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a rate limit: write it as 6000/minute, or several separated by ';'"
            ) from None
        if not items or any(item.amount < 1 for item in items):
            raise ValueError(f"{value!r} allows no call at all: each limit needs at least 1 per period")
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'localexa.db').resolve()}"

    def ensure_data_dir(self) -> None:
        # A new data dir is its owner's only (0700): it holds the keys and the database. An
        # existing one (`--data-dir .`, say) keeps its mode.
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def resolved_admin_key(self) -> str:
        """The admin key: from settings, else from `<data dir>/admin-key`, else a new one saved there."""
        if self.admin_key is not None:
            return self.admin_key.get_secret_value()
        path = self.data_dir / "admin-key"
        key = _read_or_create_secret(path)
        if not _SENDABLE_KEY.fullmatch(key):  # as LOCALEXA_ADMIN_KEY is checked
            raise KeyFileError(f"{path} holds a key no client can send in a header: printable ASCII only")
        return key

    def resolved_secret_key(self) -> bytes:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return _read_or_create_secret(self.data_dir / "secret-key").encode()

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def region_ports(self) -> dict[str, int]:
        """The listener port of each region: NA on `port`, EU and FE beside it."""
        return {
            "NA": self.port,
            "EU": self.eu_port if self.eu_port is not None else self.port + 1,
            "FE": self.fe_port if self.fe_port is not None else self.port + 2,
        }

    def public_origins(self) -> dict[str, str | None]:
        """The public base URL of each region's listener, where one is set."""
        return {"NA": self.public_base_url, "EU": self.eu_public_base_url, "FE": self.fe_public_base_url}

    def resolved_demo_port(self) -> int:
        return self.demo_port if self.demo_port is not None else self.port + 3

    def base_url(self) -> str:
        """Where this machine reaches the NA listener: `public_base_url`, else the host served on.
        A wildcard host (`--host 0.0.0.0` or `::`) is reached on loopback: the walk-through and
        the demo's redirect URI said http://0.0.0.0:…, which Windows cannot connect to and
        Chrome blocks."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"{self.scheme}://{self._local_host()}:{self.port}"

    def _local_host(self) -> str:
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(self.host, self.host)  # noqa: S104
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address in a URL
        return host

    def local_region_url(self, region: str) -> str:
        """Where a process on this machine reaches a region's listener (NA: `base_url()`). The
        demo's My Lights sends each region's customers' events there."""
        if region == "NA":
            return self.base_url()
        return f"{self.scheme}://{self._local_host()}:{self.region_ports()[region]}"


class KeyFileError(ValueError):
    """A key file of the data dir that cannot be used as a key."""


def _read_or_create_secret(path: Path) -> str:
    """The key kept in `path`, or a new one written there (`_write_new_key`)."""
    if not path.exists():
        made = _write_new_key(path)
        if made is not None:
            return made
    value = path.read_text().strip()
    if not value:
        # Used as it was, an empty file keyed every hash and seal by nothing (secret-key), or
        # made every admin call a 401 (admin-key).
        raise KeyFileError(f"{path} is empty: delete it and localexa makes a new key")
    return value


def _write_new_key(path: Path) -> str | None:
    """A new key in `path`, which appears whole or not at all (written aside, then linked into
    place), so an interrupted first start leaves no empty key file behind; None when another
    process made the file meanwhile (its key is read instead)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd, aside = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as file:
            file.write(value + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(aside, path)
        except FileExistsError:
            return None
        except OSError:  # a file system without hard links (vfat, some network mounts)
            if not _create_exclusively(path, value):
                return None
        return value
    finally:
        os.unlink(aside)


def _create_exclusively(path: Path, value: str) -> bool:
    """Where no hard link can be made: create `path` only if it does not exist (False otherwise,
    as the link would fail), then write the key into it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as file:
        file.write(value + "\n")
    return True
