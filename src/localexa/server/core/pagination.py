"""Keyset pagination behind opaque page tokens: `maxResults` + `nextToken` for every paged API.

DESIGN.md "Pagination"; Credential Locker seed ("The token expires in 24 hours"). A page token

- is opaque: AES-256-GCM under a key derived from the server secret, so clients cannot read or
  alter the sort key inside (any change fails authentication: a forged token);
- is bound to the list it pages (`collection`), the caller and the query (a digest of the filter
  parameters; `maxResults` is not part of it, so a client may change page size mid-way);
- expires `PAGE_TOKEN_LIFETIME` (24 h) after issue by localexa's clock (`core.clock`), which the
  admin API can move forward;
- carries the sort key of the last row served, so the next page is `WHERE key > :last ORDER BY key
  LIMIT n + 1` (keyset pagination): a page deep in the data costs what the first costs, given an
  index that ends with the key columns.

Every way a token can be wrong is a 400 (`InvalidPageToken`, a `BadRequest`) whose message says
which: malformed, forged, foreign (another list, caller or query) or expired.

Use (service and repository of a paged area):

    binding = PageBinding("evaluations", caller=principal.client_id, query={"skillId": skill_id})
    request = read_page_request(codec, binding, max_results=raw_max, next_token=raw_token,
                                size=PageSize(default=10, maximum=100), now=clock.now())
    page = await fetch_keyset_page(session, select(Row).where(...), (Row.created_at, Row.id),
                                   request, key_of=lambda row: (row.created_at, row.id))
    token = await fresh_page_token(codec, binding, page.next_key, clock=clock, session=session)  # None: last
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Generic, TypeVar, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Depends, Request
from sqlalchemy import Select, SQLColumnExpression, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import Clock, as_utc
from localexa.server.core.errors import BadRequest
from localexa.server.core.message_parts import CUT

T = TypeVar("T")

PAGE_TOKEN_LIFETIME = timedelta(hours=24)
#: How far a token's issue time may lie ahead of the clock opening it. Processes share one clock
#: (time travel is in the database), so only a moved-back clock puts a token further ahead.
PAGE_TOKEN_CLOCK_SKEW = timedelta(minutes=1)
#: One component of a sort key. Datetimes are stored as UTC ISO-8601 inside the token.
KeyPart = int | str | datetime
KeyColumn = SQLColumnExpression[Any]
QueryValue = str | int | bool | None

_VERSION = 1
_NONCE_BYTES = 12
_TAG_BYTES = 16
_AAD = b"localexa:page-token:v1"
_DIGEST_BYTES = 12
_MAX_TOKEN_CHARS = 4096
_DIGITS = re.compile(r"[0-9]{1,9}")


class InvalidPageToken(BadRequest):
    """A `nextToken` that is malformed, forged, foreign or expired (always 400)."""


@dataclass(frozen=True)
class PageBinding:
    """What a page token is bound to: the list (`collection`, e.g. "credential-locker/threadNetworks"),
    the caller (any string that names who asks) and the query's filter parameters (None = absent)."""

    collection: str
    caller: str
    query: Mapping[str, QueryValue]

    def caller_digest(self) -> str:
        return _digest(self.caller)

    def query_digest(self) -> str:
        canonical = {k: v for k, v in self.query.items() if v is not None}
        return _digest(json.dumps(canonical, sort_keys=True, separators=(",", ":")))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).digest()[:_DIGEST_BYTES].hex()


def _encode_key(key: Sequence[KeyPart]) -> list[object]:
    parts: list[object] = []
    for part in key:
        if isinstance(part, datetime):
            parts.append({"dt": as_utc(part).isoformat()})
        elif isinstance(part, bool) or not isinstance(part, int | str):
            raise TypeError(f"A sort key part must be int, str or datetime, not {type(part).__name__}.")
        else:
            parts.append(part)
    return parts


def _decode_key(parts: object) -> tuple[KeyPart, ...]:
    if not isinstance(parts, list) or not parts:
        raise ValueError("no key")
    key: list[KeyPart] = []
    for part in parts:
        if isinstance(part, dict) and isinstance(part.get("dt"), str):
            key.append(datetime.fromisoformat(part["dt"]))
        elif isinstance(part, int | str) and not isinstance(part, bool):
            key.append(part)
        else:
            raise ValueError("bad key part")
    return tuple(key)


class PageTokenCodec:
    """Issues and opens page tokens under a key derived from the server secret."""

    def __init__(self, secret: bytes, *, lifetime: timedelta = PAGE_TOKEN_LIFETIME) -> None:
        key = hmac.new(secret, b"localexa:page-token", hashlib.sha256).digest()
        self._aead = AESGCM(key)
        self.lifetime = lifetime

    def issue(self, binding: PageBinding, last_key: Sequence[KeyPart], *, now: datetime) -> str:
        """A token for the page after the row whose sort key is `last_key`."""
        payload = {
            "v": _VERSION,
            "c": binding.collection,
            "p": binding.caller_digest(),
            "q": binding.query_digest(),
            "k": _encode_key(last_key),
            "i": int(as_utc(now).timestamp() * 1000),
        }
        plain = json.dumps(payload, separators=(",", ":")).encode()
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plain, _AAD)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(
        self, token: str, binding: PageBinding, *, now: datetime, param: str = "nextToken"
    ) -> tuple[KeyPart, ...]:
        """The sort key inside `token`, after checking it was issued by this server, for this list,
        caller and query, less than `lifetime` ago. Raises InvalidPageToken saying what is wrong."""
        raw = self._decode(token, param)
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _AAD)
        except InvalidTag:
            raise InvalidPageToken(f"{param} was not issued by this server (forged or altered).") from None
        try:
            payload = json.loads(plain)
            version, issued_ms = payload["v"], payload["i"]
            collection, caller, query = payload["c"], payload["p"], payload["q"]
            key = _decode_key(payload["k"])
            issued = datetime.fromtimestamp(int(issued_ms) / 1000, tz=UTC)
        except (ValueError, KeyError, TypeError):
            raise InvalidPageToken(f"{param} is malformed.") from None
        if version != _VERSION or collection != binding.collection:
            raise InvalidPageToken(f"{param} was issued for another list.")
        if not hmac.compare_digest(str(caller), binding.caller_digest()):
            raise InvalidPageToken(f"{param} was issued to another caller.")
        if not hmac.compare_digest(str(query), binding.query_digest()):
            # The query binds the path's ids too (an evaluation's results): "filter parameters"
            # alone misled for another run's token (review36c).
            raise InvalidPageToken(
                f"{param} was issued for other parameters (the path's or the filters'); send the same ones."
            )
        if issued > as_utc(now) + PAGE_TOKEN_CLOCK_SKEW:
            # Issued under a clock that was later moved back (a reset or restore under time
            # travel): by that clock it would outlive `lifetime`, and it points into state that
            # the reset replaced.
            raise InvalidPageToken(
                f"{param} was issued later than the server's clock now reads (the clock was moved"
                " back); ask for the first page again."
            )
        if as_utc(now) >= issued + self.lifetime:
            hours = self.lifetime.total_seconds() / 3600
            raise InvalidPageToken(f"{param} has expired (page tokens live {hours:g} hours).")
        return key

    @staticmethod
    def _decode(token: str, param: str) -> bytes:
        if not token or len(token) > _MAX_TOKEN_CHARS:
            raise InvalidPageToken(f"{param} is malformed.")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidPageToken(f"{param} is malformed.") from None
        # Only the one spelling `issue` writes: base64 decoding skips characters outside its
        # alphabet and the unused low bits of the last one, so other spellings would open too.
        if (
            len(raw) <= _NONCE_BYTES + _TAG_BYTES
            or base64.urlsafe_b64encode(raw).decode().rstrip("=") != token
        ):
            raise InvalidPageToken(f"{param} is malformed.")
        return raw


@dataclass(frozen=True)
class PageSize:
    """The bounds of `maxResults` for one API: absent → `default`; outside
    [`minimum`, `maximum`] or not an integer → 400 naming `param`."""

    default: int
    maximum: int
    minimum: int = 1
    param: str = "maxResults"

    def parse(self, raw: str | int | None) -> int:
        if raw is None:
            return self.default
        text = str(raw).strip() if not isinstance(raw, bool) else ""
        value = int(text) if _DIGITS.fullmatch(text) else None
        if value is None or not self.minimum <= value <= self.maximum:
            raise BadRequest(
                f"{self.param} must be an integer from {self.minimum} to {self.maximum}; got {_shown(raw)}."
            )
        return value


#: How much of a refused `maxResults` a 400 shows, as core/json_body.py shows a repeated field's
#: name: the query is the client's text, up to the 16 KB URL limit (it was echoed whole).
_SHOWN_CHARS = 64


def _shown(raw: str | int) -> str:
    """`raw` quoted, or its first _SHOWN_CHARS characters quoted then the cut mark (`'999…9'…`,
    outside the quotes as core/message_parts.py `quoted` puts it)."""
    if isinstance(raw, str) and len(raw) > _SHOWN_CHARS:
        return f"{raw[:_SHOWN_CHARS]!r}{CUT}"
    return repr(raw)


@dataclass(frozen=True)
class PageRequest:
    """One page to fetch: at most `limit` rows after the sort key `after` (None: the first page)."""

    limit: int
    after: tuple[KeyPart, ...] | None = None


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """The rows of a page, and the sort key of its last row when more rows follow."""

    items: list[T]
    next_key: tuple[KeyPart, ...] | None


def read_page_request(
    codec: PageTokenCodec,
    binding: PageBinding,
    *,
    max_results: str | int | None,
    next_token: str | None,
    size: PageSize,
    now: datetime,
    token_param: str = "nextToken",  # noqa: S107 (a parameter name, not a secret)
) -> PageRequest:
    """Check `maxResults` and open `nextToken` (both as received; None when absent)."""
    limit = size.parse(max_results)
    after = None if next_token is None else codec.open(next_token, binding, now=now, param=token_param)
    return PageRequest(limit=limit, after=after)


def fitting_key(key: Sequence[KeyPart], size: int) -> Sequence[KeyPart]:
    """`key` when it has one part per sort column, else the 400 of a token from another list."""
    if len(key) != size:
        raise InvalidPageToken("nextToken does not fit this list's sort key.")
    return key


def keyset_after(
    columns: Sequence[KeyColumn], key: Sequence[KeyPart], *, descending: bool = False
) -> SQLColumnExpression[bool]:
    """`(c1, c2, ...) > (k1, k2, ...)` (or `<` when descending): the rows after `key`.
    Row-value comparison is SQL-92; SQLite has it since 3.15 and PostgreSQL seeks an index with it."""
    key = fitting_key(key, len(columns))
    if len(columns) == 1:
        return columns[0] < key[0] if descending else columns[0] > key[0]
    left = tuple_(*columns)
    return left < tuple(key) if descending else left > tuple(key)


async def fetch_keyset_page(
    session: AsyncSession,
    statement: Select[T],
    columns: Sequence[KeyColumn],
    request: PageRequest,
    *,
    key_of: Callable[[T], Sequence[KeyPart]],
    descending: bool = False,
) -> KeysetPage[T]:
    """Run `statement` (filters only: no ORDER BY, no LIMIT) as one keyset page ordered by
    `columns`, which must be unique together (end them with the primary key). Items are the
    selected objects for one entity or column (`select(Model)`), Rows for several."""
    if request.after is not None:
        statement = statement.where(keyset_after(columns, request.after, descending=descending))
    ordering = [column.desc() if descending else column.asc() for column in columns]
    statement = statement.order_by(*ordering).limit(request.limit + 1)
    result = await session.execute(statement)
    # One entity (or column) selected: its objects; several: Row tuples (e.g. select(table)).
    single = len(statement.column_descriptions) == 1
    rows: list[T] = list(result.scalars().all()) if single else cast(list[T], list(result.all()))
    return keyset_page(rows, request, key_of=key_of)


def keyset_page(
    rows: list[T], request: PageRequest, *, key_of: Callable[[T], Sequence[KeyPart]]
) -> KeysetPage[T]:
    """The page made of up to `request.limit + 1` rows fetched in key order: the extra row, when
    there is one, only says that more follow (for a repository that runs its own statement)."""
    if len(rows) <= request.limit:
        return KeysetPage(items=rows, next_key=None)
    items = rows[: request.limit]
    return KeysetPage(items=items, next_key=tuple(key_of(items[-1])))


def next_page_token(
    codec: PageTokenCodec, binding: PageBinding, page: KeysetPage[Any], *, now: datetime
) -> str | None:
    """The `nextToken` to answer with: None on the last page."""
    return None if page.next_key is None else codec.issue(binding, page.next_key, now=now)


async def fresh_page_token(
    codec: PageTokenCodec,
    binding: PageBinding,
    last_key: Sequence[KeyPart] | None,
    *,
    clock: Clock,
    session: AsyncSession,
) -> str | None:
    """The `nextToken` after `last_key` (None on the last page), stamped by the shared clock as it
    is now: read in the caller's transaction (`Clock.read_within`), and only when a token is
    issued. By this process's copy of the clock (up to 0.5 s old), a token issued right after an
    advance of a day or more through another process had expired on arrival: the next page, a
    moment later, was a 400 "nextToken has expired" (helper timetravel38)."""
    if last_key is None:
        return None
    await clock.read_within(await session.connection())
    return codec.issue(binding, last_key, now=clock.now())


async def get_page_codec(request: Request) -> PageTokenCodec:
    """One codec per app, made on first use from the server secret (settings). `async def`: FastAPI
    runs a plain `def` dependency in a worker thread, a hand-off per request."""
    state = request.app.state
    codec: PageTokenCodec | None = getattr(state, "page_codec", None)
    if codec is None:
        codec = PageTokenCodec(state.settings.resolved_secret_key())
        state.page_codec = codec
    return codec


PageCodecDep = Annotated[PageTokenCodec, Depends(get_page_codec)]
