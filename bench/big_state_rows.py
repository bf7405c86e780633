"""Rows of a server that many teams' CI used for months: customers, vendors, skills, enablements,
tokens, Thread networks, messages, evaluations and journal entries, inserted in bulk.

Inserted straight through SQLAlchemy Core into the tables of `db.models.metadata` (the admin API
would take hours: a customer's password hash alone is ~50 ms of scrypt). Sealed columns are
sealed as their areas seal them (the snapshot of a filled server restores), hashes are keyed
hashes of random values, and the timestamps spread over the last `DAYS` days.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from localexa.server.core.crypto import SecretBox
from localexa.server.credential_locker.models import seal_context
from localexa.server.db.models import metadata
from localexa.thread import fields as f

DAYS = 120
BATCH = 2_000
REGIONS = ("NA", "EU", "FE")


@dataclass(frozen=True)
class Counts:
    """How many rows of each kind: the brief's numbers times `scale`."""

    customers: int
    vendors: int
    skills: int
    enablements: int
    tokens: int
    networks: int
    journal: int
    messages: int
    evaluations: int
    results_per_evaluation: int

    @classmethod
    def scaled(cls, scale: float) -> Counts:
        def n(full: int) -> int:
            return max(1, int(full * scale))

        return cls(
            customers=n(50_000),
            vendors=n(2_000),
            skills=n(5_000),
            enablements=n(100_000),
            tokens=n(500_000),
            networks=n(100_000),
            journal=n(200_000),
            messages=n(200_000),
            evaluations=n(5_000),
            results_per_evaluation=10,
        )


def _moment(rng: random.Random, now: datetime) -> datetime:
    return now - timedelta(seconds=rng.uniform(0, DAYS * 86_400))


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


class Filler:
    """Generates and inserts the rows; ids are `big-…` so they never meet the API's."""

    def __init__(
        self, engine: AsyncEngine, journal: AsyncEngine, box: SecretBox, counts: Counts, seed: int = 39
    ) -> None:
        self.engine = engine
        #: On SQLite the journal has a file of its own (observe/journal_store.py).
        self.journal = journal
        self.box = box
        self.counts = counts
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC)
        self.inserted: dict[str, int] = {}

    def customer(self, i: int) -> str:
        return f"amzn1.account.big{i:07d}"

    def skill(self, i: int) -> str:
        return f"amzn1.ask.skill.big-{i:06d}"

    def messaging_client(self, i: int) -> str:
        return f"amzn1.application-oa2-client.bigmsg{i:06d}"

    async def _insert(self, table: str, rows: Iterator[dict[str, Any]]) -> None:
        engine = self.journal if table == "journal_entries" else self.engine
        statement = insert(metadata.tables[table])
        batch: list[dict[str, Any]] = []
        total = 0
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                async with engine.begin() as conn:
                    await conn.execute(statement, batch)
                total += len(batch)
                batch = []
        if batch:
            async with engine.begin() as conn:
                await conn.execute(statement, batch)
            total += len(batch)
        self.inserted[table] = self.inserted.get(table, 0) + total

    async def fill(self) -> dict[str, int]:
        c = self.counts
        await self._insert("customers", self._customers())
        await self._insert("vendors", self._vendors())
        await self._insert("lwa_clients", self._clients())
        await self._insert("skills", self._skills())
        await self._insert("enablements", self._enablements())
        await self._insert("after_link_status", self._after_link())
        await self._insert("lwa_tokens", self._tokens())
        await self._insert("thread_networks", self._networks())
        await self._insert("skill_messages", self._messages())
        await self._insert("capability_evaluations", self._evaluations())
        await self._insert("capability_test_case_results", self._results())
        await self._insert("journal_entries", self._journal())
        assert self.inserted["customers"] == c.customers
        return self.inserted

    def _customers(self) -> Iterator[dict[str, Any]]:
        for i in range(self.counts.customers):
            yield {
                "id": self.customer(i),
                "name": f"CI user {i}",
                "email": f"ci-{i}@big.example.com",
                "password_hash": "scrypt$16384$" + "0" * 64,
                "region": REGIONS[i % 3],
                "postal_code": None,
                "created_at": _moment(self.rng, self.now),
            }

    def _vendors(self) -> Iterator[dict[str, Any]]:
        for i in range(self.counts.vendors):
            yield {
                "id": f"big-vendor-{i:05d}",
                "name": f"Team {i}",
                "owner_user_id": self.customer(i),
                "created_at": _moment(self.rng, self.now),
            }

    def _clients(self) -> Iterator[dict[str, Any]]:
        for i in range(self.counts.skills):
            for kind, client_id in (
                ("messaging", self.messaging_client(i)),
                ("alexa", f"amzn1.application-oa2-client.bigalexa{i:06d}"),
            ):
                yield {
                    "client_id": client_id,
                    "name": f"{kind} client of skill {i}",
                    "secret_hash": _hex(self.rng, 64),
                    "secret_sealed": self.box.seal("secret", context=client_id),
                    "redirect_uris": [],
                    "skill_id": self.skill(i) if kind == "messaging" else None,
                    "created_at": _moment(self.rng, self.now),
                }

    def _skills(self) -> Iterator[dict[str, Any]]:
        for i in range(self.counts.skills):
            yield {
                "id": self.skill(i),
                "vendor_id": f"big-vendor-{i % self.counts.vendors:05d}",
                "name": f"Skill {i}",
                "stages": ["development"],
                "endpoint": "http://127.0.0.1:9/skill",
                "regional_endpoints": None,
                "permissions": ["alexa::async_event:write", "alexa::thread_network_credentials:read"],
                "account_linking": None,
                "account_linking_secret_sealed": None,
                "messaging_client_id": self.messaging_client(i),
                "alexa_client_id": f"amzn1.application-oa2-client.bigalexa{i:06d}",
                "created_at": _moment(self.rng, self.now),
            }

    def _pairs(self) -> Iterator[tuple[int, int, int]]:
        """(enablement index, customer, skill), each pair once."""
        c = self.counts
        for i in range(c.enablements):
            yield i, i % c.customers, (i // c.customers * 7919 + i) % c.skills

    def _enablements(self) -> Iterator[dict[str, Any]]:
        for i, customer, skill in self._pairs():
            at = _moment(self.rng, self.now)
            yield {
                "id": f"big-enablement-{i:07d}",
                "customer_id": self.customer(customer),
                "skill_id": self.skill(skill),
                "stage": "development",
                "skill_user_id": f"amzn1.ask.account.big{i:07d}",
                "link_status": "NOT_LINKED",
                "access_token_sealed": None,
                "refresh_token_sealed": None,
                "access_token_expires_at": None,
                "linked_at": None,
                "created_at": at,
                "updated_at": at,
            }

    def _after_link(self) -> Iterator[dict[str, Any]]:
        for _i, customer, skill in self._pairs():
            at = _moment(self.rng, self.now)
            yield {
                "customer_id": self.customer(customer),
                "skill_id": self.skill(skill),
                "discovery_status": "SUCCEEDED",
                "discovery_message": None,
                "discovery_at": at,
                "accept_grant_status": "SUCCEEDED",
                "accept_grant_message": None,
                "accept_grant_at": at,
                "updated_at": at,
                "lease_owner": None,
                "lease_expires_at": None,
                "attempts": 1,
            }

    def _tokens(self) -> Iterator[dict[str, Any]]:
        """Four refresh tokens (which never expire, so they pile up) for each access token still valid."""
        c = self.counts
        for i in range(c.tokens):
            issued = _moment(self.rng, self.now)
            access = i % 5 == 0
            yield {
                "token_hash": _hex(self.rng, 64),
                "kind": "access" if access else "refresh",
                "client_id": self.messaging_client(i % c.skills),
                "user_id": self.customer(i % c.customers),
                "scopes": "alexa::async_event:write",
                "grant_id": _hex(self.rng, 32),
                "issued_at": issued,
                "expires_at": self.now + timedelta(minutes=self.rng.uniform(1, 60)) if access else None,
                "revoked": False,
                "public_client": False,
            }

    def _networks(self) -> Iterator[dict[str, Any]]:
        c = self.counts
        for i in range(c.networks):
            user = self.customer(i % c.customers)
            xpan = _hex(self.rng, 16)
            name = f"net{i}"
            yield {
                "user_id": user,
                "extended_pan_id": xpan,
                "network_name": name,
                "network_key_sealed": self.box.seal(
                    "ab" * 16, context=seal_context(user, xpan, name, f.NETWORK_KEY)
                ),
                "pskc_sealed": None,
                "pan_id": _hex(self.rng, 4),
                "channel_number": 15,
                "default_border_agent_id": None,
                "created_by_skill_id": self.skill(i % c.skills),
                "created_at": _moment(self.rng, self.now),
            }

    def _messages(self) -> Iterator[dict[str, Any]]:
        c = self.counts
        body = {"directive": {"header": {"namespace": "Alexa.PowerController", "name": "TurnOn"}}}
        for i in range(c.messages):
            customer, skill = i % c.customers, (i // c.customers * 7919 + i) % c.skills
            yield {
                "at": _moment(self.rng, self.now),
                "customer_id": self.customer(customer),
                "skill_id": self.skill(skill),
                "direction": "directive" if i % 2 == 0 else "response",
                "exchange_id": str(uuid.UUID(int=self.rng.getrandbits(128))),
                "namespace": "Alexa.PowerController",
                "name": "TurnOn",
                "endpoint_id": "lamp-1",
                "correlation_token": None,
                "body": body,
                "verdict": {"valid": True, "problems": []},
                "error": None,
                "latency_ms": 3.5,
            }

    def _evaluation_id(self, i: int) -> str:
        return str(uuid.UUID(int=i + 1))

    def _evaluations(self) -> Iterator[dict[str, Any]]:
        c = self.counts
        for i in range(c.evaluations):
            at = _moment(self.rng, self.now)
            yield {
                "id": self._evaluation_id(i),
                "skill_id": self.skill(i % c.skills),
                "customer_id": self.customer(i % c.customers),
                "stage": "development",
                "endpoint_id": "lamp-1",
                "test_plan_id": "alexa-power-controller",
                "status": "PASSED",
                "active_key": None,
                "error_code": None,
                "error_message": None,
                "test_plan_name": "Power controller",
                "total_cases": c.results_per_evaluation,
                "next_case": c.results_per_evaluation,
                "attempts": 1,
                "lease_owner": None,
                "lease_expires_at": None,
                "created_at": at,
                "ended_at": at + timedelta(seconds=5),
            }

    def _results(self) -> Iterator[dict[str, Any]]:
        c = self.counts
        for i in range(c.evaluations):
            for ordinal in range(c.results_per_evaluation):
                yield {
                    "evaluation_id": self._evaluation_id(i),
                    "ordinal": ordinal,
                    "name": f"case {ordinal}",
                    "status": "PASSED",
                    "directive": {"header": {"name": "TurnOn"}},
                    "actual_response": {"event": {"header": {"name": "Response"}}},
                    "expected_response": None,
                    "actual_states": [],
                    "expected_states": [],
                    "error": None,
                    "reasons": None,
                }

    def _journal(self) -> Iterator[dict[str, Any]]:
        c = self.counts
        start = self.now - timedelta(days=DAYS)
        step = timedelta(days=DAYS) / c.journal
        headers = {"content-type": "application/json"}
        for i in range(c.journal):
            yield {
                "at": start + step * i,  # in id order, as the journal writes them
                "direction": "inbound",
                "method": "GET",
                "path": "/credentiallocker/v2/threadNetworks",
                "query": "extendedPanId=dead00beef00cafe",
                "url": None,
                "route": "/credentiallocker/v2/threadNetworks",
                "status": 200 if i % 50 else 503,
                "latency_ms": 2.5,
                "request_id": str(uuid.UUID(int=self.rng.getrandbits(128))),
                "caller": self.messaging_client(i % c.skills),
                "customer": self.customer(i % c.customers),
                "skill": self.skill(i % c.skills),
                "region": "NA",
                "request_headers": headers,
                "request_body": None,
                "response_headers": headers,
                "response_body": json.dumps({"threadNetworks": [], "nextToken": None}),
                "error": None,
                "fault_id": None,
            }
